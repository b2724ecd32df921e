//! The one error of the operations: each domain error is mapped to it
//! here, once; the REST API renders it as a JSON problem and the pages as
//! a message (`web::error`). Internal causes are kept for the log and
//! never shown.

use shipshape_types::auth::Denied;
use shipshape_types::page::Problem;

use crate::alert::service::AlertError;
use crate::auth::service::AccountError;
use crate::deps::service::DriftError;
use crate::fleet::FleetError;
use crate::fleet::service::RegisterError;
use crate::store::StoreError;
use crate::upgrade::service::UpgradeError;

#[derive(Debug, thiserror::Error)]
pub enum OperationError {
    #[error(transparent)]
    Denied(#[from] Denied),
    #[error("{0}")]
    NotFound(String),
    /// The request cannot be done as asked: a bad value, a query that
    /// cannot be read, a service without a repository.
    #[error("{0}")]
    Invalid(String),
    /// The request's body is larger than the server takes.
    #[error("{0}")]
    TooLarge(String),
    /// Something else holds what the request would change, or is busy.
    #[error("{0}")]
    Conflict(String),
    /// The server failed (most often the database); `cause` is logged.
    #[error("Shipshape could not finish {what}; the server log has the cause")]
    Unavailable { what: &'static str, cause: String },
}

impl OperationError {
    pub fn unavailable(what: &'static str, cause: impl std::fmt::Display) -> OperationError {
        OperationError::Unavailable {
            what,
            cause: cause.to_string(),
        }
    }

    pub fn no_service(slug: &str) -> OperationError {
        OperationError::NotFound(format!("no service with slug `{slug}`"))
    }

    /// The answer a person or a script gets. An internal cause is logged
    /// here, the one place every failure passes on its way out.
    pub fn problem(&self) -> Problem {
        let (status, title) = match self {
            OperationError::Denied(Denied::Unauthenticated) => (401, "Unauthorized"),
            OperationError::Denied(Denied::Forbidden { .. }) => (403, "Forbidden"),
            OperationError::NotFound(_) => (404, "Not Found"),
            OperationError::Invalid(_) => (422, "Unprocessable Content"),
            OperationError::Conflict(_) => (409, "Conflict"),
            OperationError::TooLarge(_) => (413, "Content Too Large"),
            OperationError::Unavailable { what, cause } => {
                tracing::error!("a request failed while {what}: {cause}");
                (503, "Service Unavailable")
            }
        };
        Problem::new(status, title, self.to_string())
    }
}

impl From<StoreError> for OperationError {
    fn from(error: StoreError) -> Self {
        OperationError::unavailable("reading or writing the database", error)
    }
}

impl From<FleetError> for OperationError {
    fn from(error: FleetError) -> Self {
        OperationError::unavailable("reading the fleet", error)
    }
}

impl From<RegisterError> for OperationError {
    fn from(error: RegisterError) -> Self {
        match error {
            RegisterError::DeclaredElsewhere { .. } => OperationError::Conflict(error.to_string()),
            RegisterError::NotRegistered(_) => OperationError::NotFound(error.to_string()),
            RegisterError::Store(cause) => {
                OperationError::unavailable("registering a service", cause)
            }
        }
    }
}

impl From<DriftError> for OperationError {
    fn from(error: DriftError) -> Self {
        match error {
            DriftError::UnknownService(slug) => OperationError::no_service(&slug),
            DriftError::NoRepository(_) => OperationError::Invalid(error.to_string()),
            DriftError::Store(cause) => {
                OperationError::unavailable("reading or recording drift", cause)
            }
        }
    }
}

impl From<UpgradeError> for OperationError {
    fn from(error: UpgradeError) -> Self {
        match error {
            UpgradeError::UnknownService(slug) => OperationError::no_service(&slug),
            UpgradeError::UnknownRun(_) | UpgradeError::UnknownWave(_) => {
                OperationError::NotFound(error.to_string())
            }
            UpgradeError::Invalid(message) => OperationError::Invalid(message),
            UpgradeError::Busy => OperationError::Conflict(error.to_string()),
            UpgradeError::Store(cause) => {
                OperationError::unavailable("reading or recording upgrades", cause)
            }
        }
    }
}

impl From<AlertError> for OperationError {
    fn from(error: AlertError) -> Self {
        match error {
            AlertError::Invalid(message) => OperationError::Invalid(message),
            AlertError::NotFound(what) => OperationError::NotFound(format!("no {what}")),
            AlertError::Store(cause) => {
                OperationError::unavailable("reading or recording alerts", cause)
            }
        }
    }
}

impl From<AccountError> for OperationError {
    fn from(error: AccountError) -> Self {
        match error {
            AccountError::Store(cause) => OperationError::unavailable("changing accounts", cause),
            AccountError::Taken(_) | AccountError::TokenTaken(_) | AccountError::LastAdmin(_) => {
                OperationError::Conflict(error.to_string())
            }
            AccountError::Unknown(_) | AccountError::NoSuchId(_) => {
                OperationError::NotFound(error.to_string())
            }
            AccountError::BadName(_)
            | AccountError::WrongPassword
            | AccountError::NotAnAccount
            | AccountError::BadRole(_)
            | AccountError::BadExpiry(_)
            | AccountError::Password(_) => OperationError::Invalid(error.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shipshape_types::auth::Role;

    #[test]
    fn each_kind_of_failure_has_its_status_and_internals_stay_out() {
        let cases = [
            (OperationError::Denied(Denied::Unauthenticated), 401),
            (
                OperationError::Denied(Denied::Forbidden {
                    needed: Role::Admin,
                    caller: "olivia".into(),
                    has: Some(Role::Operator),
                }),
                403,
            ),
            (OperationError::no_service("x"), 404),
            (OperationError::Invalid("limit: too big".into()), 422),
            (UpgradeError::Busy.into(), 409),
        ];
        for (error, status) in cases {
            assert_eq!(error.problem().status, status, "{error}");
        }
        let failed = OperationError::unavailable("reading drift", "password=hunter2 refused");
        let problem = failed.problem();
        assert_eq!(problem.status, 503);
        assert!(!problem.detail.contains("hunter2"), "{problem:?}");
        assert_eq!(
            problem.detail,
            "Shipshape could not finish reading drift; the server log has the cause"
        );
    }
}
