//! Projects and their git repositories. Names compare case-insensitively, each engine its own
//! way (see `orgs.rs`).

use keygate_core::ids::{OrgId, ProjectId};
use keygate_core::model::{NewProject, Project, Repository};
use keygate_core::StoreError;

use crate::arg::text;
use crate::conn::{Conn, PerDialect};
use crate::error::DbResultExt;
use crate::rows::accounts::{project_columns, repository_columns, ProjectRow, RepositoryRow};
use crate::rows::all;
use crate::table::Table;

/// The branch a project's default repository starts with.
const DEFAULT_BRANCH: &str = "refs/heads/main";

const PROJECTS_OF_ORG: PerDialect = PerDialect {
    sqlite: concat!(
        "SELECT ",
        project_columns!(),
        " FROM projects WHERE org_id = $1 ORDER BY name, id"
    ),
    postgres: concat!(
        "SELECT ",
        project_columns!(),
        " FROM projects WHERE org_id = $1 ORDER BY lower(name), id"
    ),
};

const PROJECT_BY_NAME: PerDialect = PerDialect {
    sqlite: concat!(
        "SELECT ",
        project_columns!(),
        " FROM projects WHERE org_id = $1 AND name = $2"
    ),
    postgres: concat!(
        "SELECT ",
        project_columns!(),
        r#" FROM projects WHERE org_id = $1 AND lower(name) = lower($2 COLLATE "C")"#
    ),
};

const REPOSITORIES_OF_PROJECT: PerDialect = PerDialect {
    sqlite: concat!(
        "SELECT ",
        repository_columns!(),
        " FROM repositories WHERE project_id = $1 ORDER BY name, id"
    ),
    postgres: concat!(
        "SELECT ",
        repository_columns!(),
        " FROM repositories WHERE project_id = $1 ORDER BY lower(name), id"
    ),
};

/// Creates a project and its default repository, inside the caller's transaction.
pub async fn create_project<C: Conn>(conn: &mut C, new: NewProject) -> Result<Project, StoreError> {
    let repository = RepositoryRow {
        id: new.repository_id.to_string(),
        project_id: new.project.id.to_string(),
        name: new.project.name.clone(),
        default_branch: DEFAULT_BRANCH.to_owned(),
    };
    let row = ProjectRow::from(new.project);
    conn.execute(ProjectRow::insert(), &row.bind())
        .await
        .or_conflict("project")?;
    conn.execute(RepositoryRow::insert(), &repository.bind())
        .await
        .or_conflict("repository")?;
    Project::try_from(row)
}

/// An organization's projects, by name.
pub async fn projects_of_org<C: Conn>(
    conn: &mut C,
    org: OrgId,
) -> Result<Vec<Project>, StoreError> {
    let found: Vec<ProjectRow> = conn
        .fetch_all(C::DIALECT.pick(&PROJECTS_OF_ORG), &[text(org)])
        .await
        .db()?;
    all(found)
}

/// A project by name inside an organization (case-insensitive).
pub async fn project_by_name<C: Conn>(
    conn: &mut C,
    org: OrgId,
    name: &str,
) -> Result<Option<Project>, StoreError> {
    let row: Option<ProjectRow> = conn
        .fetch_optional(C::DIALECT.pick(&PROJECT_BY_NAME), &[text(org), name.into()])
        .await
        .db()?;
    row.map(Project::try_from).transpose()
}

/// A project's git repositories, by name.
pub async fn repositories_of_project<C: Conn>(
    conn: &mut C,
    project: ProjectId,
) -> Result<Vec<Repository>, StoreError> {
    let found: Vec<RepositoryRow> = conn
        .fetch_all(C::DIALECT.pick(&REPOSITORIES_OF_PROJECT), &[text(project)])
        .await
        .db()?;
    all(found)
}
