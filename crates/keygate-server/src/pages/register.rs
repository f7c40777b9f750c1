//! The registration form as the page shows it: its text fields in order, each with what was
//! typed and its error, the error summary, and the scope picker grouped by area.

use keygate_core::apps::{FieldErrors, Registration};
use keygate_core::scopes::{catalogue, Availability, ScopeSet};

use super::{ErrorSummary, FieldError};

/// How a text field is typed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Input {
    /// One line of text.
    Text,
    /// A URL (a keyboard with `/` and `.` on phones).
    Url,
    /// Several lines.
    Multiline,
}

impl Input {
    /// The `<input type>` (unused for `Multiline`).
    pub(crate) fn html_type(self) -> &'static str {
        match self {
            Input::Url => "url",
            Input::Text | Input::Multiline => "text",
        }
    }
}

/// What never changes about a field: its id (also its form name), label and rules.
struct Spec {
    id: &'static str,
    label: &'static str,
    hint: &'static str,
    input: Input,
    required: bool,
    max_length: usize,
    autocomplete: &'static str,
    value: fn(&Registration) -> &str,
}

/// A text field of the form.
#[derive(Debug, Clone)]
pub(crate) struct TextField {
    /// Element id and form field name.
    pub id: &'static str,
    /// Label text.
    pub label: &'static str,
    /// Extra words after the label, or empty.
    pub hint: &'static str,
    /// How it is typed in.
    pub input: Input,
    /// Whether the browser should insist on a value.
    pub required: bool,
    /// `maxlength`, or 0 for none.
    pub max_length: usize,
    /// `autocomplete` token, or empty.
    pub autocomplete: &'static str,
    /// What was typed.
    pub value: String,
    /// What is wrong with it, as a sentence.
    pub error: Option<String>,
}

impl TextField {
    /// Whether it is a `<textarea>`.
    pub(crate) fn is_multiline(&self) -> bool {
        self.input == Input::Multiline
    }
}

const COMPANY: [Spec; 4] = [
    Spec {
        id: "company_name",
        label: "Company name",
        hint: "",
        input: Input::Text,
        required: true,
        max_length: 128,
        autocomplete: "organization",
        value: |r| &r.company_name,
    },
    Spec {
        id: "company_website",
        label: "Company website",
        hint: "(optional)",
        input: Input::Url,
        required: false,
        max_length: 0,
        autocomplete: "url",
        value: |r| &r.company_website,
    },
    Spec {
        id: "terms_url",
        label: "Terms of service URL",
        hint: "(optional)",
        input: Input::Url,
        required: false,
        max_length: 0,
        autocomplete: "off",
        value: |r| &r.terms_url,
    },
    Spec {
        id: "privacy_url",
        label: "Privacy statement URL",
        hint: "(optional)",
        input: Input::Url,
        required: false,
        max_length: 0,
        autocomplete: "off",
        value: |r| &r.privacy_url,
    },
];

const APPLICATION: [Spec; 6] = [
    Spec {
        id: "name",
        label: "Application name",
        hint: "",
        input: Input::Text,
        required: true,
        max_length: 128,
        autocomplete: "off",
        value: |r| &r.name,
    },
    Spec {
        id: "description",
        label: "Description",
        hint: "(shown on the consent page)",
        input: Input::Multiline,
        required: false,
        max_length: 1024,
        autocomplete: "off",
        value: |r| &r.description,
    },
    Spec {
        id: "logo_url",
        label: "Logo URL",
        hint: "(optional, https)",
        input: Input::Url,
        required: false,
        max_length: 0,
        autocomplete: "off",
        value: |r| &r.logo_url,
    },
    Spec {
        id: "website",
        label: "Application website",
        hint: "",
        input: Input::Url,
        required: true,
        max_length: 0,
        autocomplete: "off",
        value: |r| &r.website,
    },
    Spec {
        id: "callback_url",
        label: "Authorization callback URL",
        hint: "(https; https://localhost is fine for development)",
        input: Input::Url,
        required: true,
        max_length: 0,
        autocomplete: "off",
        value: |r| &r.callback_url,
    },
    Spec {
        id: "post_logout_redirect_uris",
        label: "Post-logout redirect URIs",
        hint: "(optional, for OpenID Connect sign-out; separate several with spaces)",
        input: Input::Text,
        required: false,
        max_length: 0,
        autocomplete: "off",
        value: |r| &r.post_logout_redirect_uris,
    },
];

/// The scope picker's id, which the summary links to.
const SCOPES: &str = "scopes";

fn field(spec: &Spec, form: &Registration, errors: &FieldErrors) -> TextField {
    TextField {
        id: spec.id,
        label: spec.label,
        hint: spec.hint,
        input: spec.input,
        required: spec.required,
        max_length: spec.max_length,
        autocomplete: spec.autocomplete,
        value: (spec.value)(form).to_owned(),
        error: errors.get(spec.id).map(|e| format!("{} {e}", spec.label)),
    }
}

/// One checkbox of the scope picker.
#[derive(Debug, Clone)]
pub(crate) struct ScopeOption {
    /// Scope string.
    pub name: &'static str,
    /// Title.
    pub title: &'static str,
    /// Plain description.
    pub description: &'static str,
    /// High-privilege badge.
    pub high_privilege: bool,
    /// Ticked.
    pub checked: bool,
}

/// The scopes of one area, collapsible.
#[derive(Debug, Clone)]
pub(crate) struct ScopeGroup {
    /// The area's name for people (`Work items`).
    pub title: &'static str,
    /// Its scopes.
    pub scopes: Vec<ScopeOption>,
    /// How many are ticked (a group with any is shown open).
    pub chosen: usize,
}

/// Public scopes grouped by area in catalogue order, ticked where `checked` holds them.
fn scope_groups(checked: &ScopeSet) -> Vec<ScopeGroup> {
    let mut groups: Vec<ScopeGroup> = Vec::new();
    for info in catalogue()
        .all()
        .iter()
        .filter(|s| s.availability == Availability::Public)
    {
        let option = ScopeOption {
            name: info.name,
            title: info.title,
            description: info.description,
            high_privilege: info.high_privilege,
            checked: checked.iter().any(|s| s == info.name),
        };
        let title = info.area_title();
        let group = match groups.iter().position(|g| g.title == title) {
            Some(i) => &mut groups[i],
            None => {
                groups.push(ScopeGroup {
                    title,
                    scopes: Vec::new(),
                    chosen: 0,
                });
                let last = groups.len() - 1;
                &mut groups[last]
            }
        };
        group.chosen += usize::from(option.checked);
        group.scopes.push(option);
    }
    groups
}

/// `GET /app/register`, and the form again with errors.
#[derive(askama::Template)]
#[template(path = "register.html")]
pub(crate) struct RegisterPage {
    /// Header.
    pub nav: super::Nav,
    /// The company section's fields.
    pub company_fields: Vec<TextField>,
    /// The application section's fields (after the client type).
    pub app_fields: Vec<TextField>,
    /// Whether the public client type is chosen.
    pub public: bool,
    /// Whether a pairwise subject is chosen.
    pub pairwise: bool,
    /// Scope checkboxes by area.
    pub scope_groups: Vec<ScopeGroup>,
    /// How many scopes are ticked.
    pub chosen: usize,
    /// What is wrong with the scopes, as a sentence.
    pub scope_error: Option<String>,
    /// Every error, in page order, for the summary at the top.
    pub summary: ErrorSummary,
}

impl RegisterPage {
    /// The form showing `form` as typed and `errors` beside their fields and in the summary.
    pub(crate) fn new(nav: super::Nav, form: &Registration, errors: &FieldErrors) -> Self {
        let checked = ScopeSet::from_stored(&form.scopes.to_ascii_lowercase());
        let scope_groups = scope_groups(&checked);
        let fields = |specs: &[Spec]| specs.iter().map(|s| field(s, form, errors)).collect();
        let company_fields: Vec<TextField> = fields(&COMPANY);
        let app_fields: Vec<TextField> = fields(&APPLICATION);
        let scope_error = errors.get(SCOPES).map(|e| format!("Scopes: {e}"));
        let shown = company_fields.iter().chain(&app_fields);
        let mut listed: Vec<FieldError> = shown
            .filter_map(|f| {
                f.error.clone().map(|message| FieldError {
                    field: f.id,
                    message,
                })
            })
            .chain(scope_error.clone().map(|message| FieldError {
                field: SCOPES,
                message,
            }))
            .collect();
        // An error for a field this page does not know still reaches the person, unlinked.
        let known = |k: &str| k == SCOPES || listed.iter().any(|e| e.field == k);
        let unknown: Vec<FieldError> = errors
            .iter()
            .filter(|(k, _)| !known(k))
            .map(|(k, e)| FieldError {
                field: "",
                message: format!("{k} {e}"),
            })
            .collect();
        listed.extend(unknown);
        let summary = ErrorSummary {
            note: "Nothing was saved. Correct these and create the application again:",
            errors: listed,
        };
        Self {
            nav,
            public: form.is_public(),
            pairwise: form.pairwise_subject,
            chosen: scope_groups.iter().map(|g| g.chosen).sum(),
            scope_groups,
            company_fields,
            app_fields,
            scope_error,
            summary,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_lists_errors_in_page_order_with_the_fields_label() {
        let mut errors = FieldErrors::new();
        errors.insert("scopes", "at least one scope is required".into());
        errors.insert("callback_url", "must start with https://".into());
        errors.insert("company_name", "is required".into());
        let page = RegisterPage::new(
            super::super::Nav::default(),
            &Registration::default(),
            &errors,
        );
        let listed: Vec<(&str, &str)> = page
            .summary
            .errors
            .iter()
            .map(|e| (e.field, e.message.as_str()))
            .collect();
        assert_eq!(
            listed,
            [
                ("company_name", "Company name is required"),
                (
                    "callback_url",
                    "Authorization callback URL must start with https://"
                ),
                ("scopes", "Scopes: at least one scope is required"),
            ]
        );
    }

    #[test]
    fn groups_have_readable_names_and_count_what_is_ticked() {
        let groups = scope_groups(&ScopeSet::from_stored("vso.work vso.work_write"));
        let work = groups.iter().find(|g| g.title == "Work items").unwrap();
        assert_eq!(work.chosen, 2);
        assert!(groups.iter().all(|g| !g.title.contains('.')));
        let offered: usize = groups.iter().map(|g| g.scopes.len()).sum();
        let public = catalogue()
            .all()
            .iter()
            .filter(|s| s.availability == Availability::Public)
            .count();
        assert_eq!(offered, public, "every public scope is offered once");
    }
}
