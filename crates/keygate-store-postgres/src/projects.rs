//! Projects and their git repositories.

use keygate_core::ids::{OrgId, ProjectId};
use keygate_core::model::{NewProject, Project, Repository};
use keygate_core::StoreError;

use crate::error::DbResultExt;
use crate::rows;
use crate::PgStore;

/// The branch a project's default repository starts with.
const DEFAULT_BRANCH: &str = "refs/heads/main";

#[derive(sqlx::FromRow)]
pub(crate) struct ProjectRow {
    id: String,
    org_id: String,
    name: String,
    description: String,
    created_at: i64,
}

impl TryFrom<ProjectRow> for Project {
    type Error = StoreError;

    fn try_from(r: ProjectRow) -> Result<Self, StoreError> {
        Ok(Project {
            id: rows::id(&r.id, "projects.id")?,
            org_id: rows::id(&r.org_id, "projects.org_id")?,
            name: r.name,
            description: r.description,
            created_at: r.created_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct RepositoryRow {
    id: String,
    project_id: String,
    name: String,
    default_branch: String,
}

impl TryFrom<RepositoryRow> for Repository {
    type Error = StoreError;

    fn try_from(r: RepositoryRow) -> Result<Self, StoreError> {
        Ok(Repository {
            id: rows::id(&r.id, "repositories.id")?,
            project_id: rows::id(&r.project_id, "repositories.project_id")?,
            name: r.name,
            default_branch: r.default_branch,
        })
    }
}

pub(crate) async fn create_project(
    store: &PgStore,
    new: NewProject,
) -> Result<Project, StoreError> {
    let project = new.project;
    let mut tx = store.write().await?;
    sqlx::query(
        "INSERT INTO projects (id, org_id, name, description, created_at)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(project.id.to_string())
    .bind(project.org_id.to_string())
    .bind(&project.name)
    .bind(&project.description)
    .bind(project.created_at)
    .execute(&mut *tx)
    .await
    .or_conflict("project")?;
    sqlx::query(
        "INSERT INTO repositories (id, project_id, name, default_branch) VALUES ($1, $2, $3, $4)",
    )
    .bind(new.repository_id.to_string())
    .bind(project.id.to_string())
    .bind(&project.name)
    .bind(DEFAULT_BRANCH)
    .execute(&mut *tx)
    .await
    .or_conflict("repository")?;
    tx.commit().await.db()?;
    Ok(project)
}

pub(crate) async fn projects_of_org(
    store: &PgStore,
    org: OrgId,
) -> Result<Vec<Project>, StoreError> {
    let found: Vec<ProjectRow> = sqlx::query_as(
        "SELECT id, org_id, name, description, created_at FROM projects
         WHERE org_id = $1 ORDER BY lower(name), id",
    )
    .bind(org.to_string())
    .fetch_all(&store.pool)
    .await
    .db()?;
    rows::all(found)
}

pub(crate) async fn project_by_name(
    store: &PgStore,
    org: OrgId,
    name: &str,
) -> Result<Option<Project>, StoreError> {
    let row: Option<ProjectRow> = sqlx::query_as(
        r#"SELECT id, org_id, name, description, created_at FROM projects
           WHERE org_id = $1 AND lower(name) = lower($2 COLLATE "C")"#,
    )
    .bind(org.to_string())
    .bind(name)
    .fetch_optional(&store.pool)
    .await
    .db()?;
    row.map(Project::try_from).transpose()
}

pub(crate) async fn repositories_of_project(
    store: &PgStore,
    project: ProjectId,
) -> Result<Vec<Repository>, StoreError> {
    let found: Vec<RepositoryRow> = sqlx::query_as(
        "SELECT id, project_id, name, default_branch FROM repositories
         WHERE project_id = $1 ORDER BY lower(name), id",
    )
    .bind(project.to_string())
    .fetch_all(&store.pool)
    .await
    .db()?;
    rows::all(found)
}
