//! The typed part of a finding: what the stages after the checks (the verdict, the planner, the
//! catch-all for failed calls) need to know, so that none of them reads the evidence JSON or a
//! sentence written for people. One variant per family of codes.

use super::Code;
use super::finding::Family;
use super::network::Service;

#[derive(Debug, Clone, PartialEq, Default)]
pub enum Detail {
    Network(NetworkDetail),
    Identity(IdentityDetail),
    /// Registry findings: nothing a later stage needs beyond the code and the resource.
    #[default]
    Registry,
    SecretsLogsStorage(StoredDetail),
    /// Volume, environment-file and pull-through cache findings: nothing a later stage needs beyond
    /// the code and the resource.
    VolumesFilesCache,
    General(GeneralDetail),
}

impl Detail {
    /// The empty detail of `code`'s family, which checks fill as the finding needs.
    pub fn of(code: Code) -> Detail {
        match code.family() {
            Family::Network => Detail::Network(NetworkDetail::default()),
            Family::Identity => Detail::Identity(IdentityDetail::default()),
            Family::Registry => Detail::Registry,
            Family::SecretsLogsStorage => Detail::SecretsLogsStorage(StoredDetail::default()),
            Family::VolumesFilesCache => Detail::VolumesFilesCache,
            Family::General => Detail::General(GeneralDetail::default()),
        }
    }

    /// The services whose way a network finding cuts off.
    pub fn services(&self) -> &[Service] {
        match self {
            Detail::Network(network) => &network.services,
            _ => &[],
        }
    }

    /// The call whose failure a CHECK_FAILED finding reports.
    pub fn failed_call(&self) -> Option<&str> {
        match self {
            Detail::General(GeneralDetail { failed_call }) => failed_call.as_deref(),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct NetworkDetail {
    pub services: Vec<Service>,
    /// What a fix of the finding would change, when one is known to be safe to plan.
    pub repair: Option<NetworkRepair>,
}

/// The network changes the planner knows how to make.
#[derive(Debug, Clone, PartialEq)]
pub enum NetworkRepair {
    /// Put the task subnet's route table on the S3 gateway endpoint.
    RouteToS3Gateway { endpoint: String, route_table: String },
    /// Allow the ECR layer bucket in the S3 gateway endpoint's policy.
    LayersInS3Policy { endpoint: String },
    /// Create the missing endpoints for the task subnet whose route table this is.
    CreateEndpoints { route_table: String },
    /// Let TCP 443 out of `group` to each destination.
    OpenHttpsEgress { group: String, to: Vec<Opening> },
}

/// A destination a security group rule can name, narrowest first.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Opening {
    Group(String),
    PrefixList(String),
    /// Only for the internet, whose addresses are not fixed.
    Cidr(String),
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct IdentityDetail {
    /// Each action the role is denied, and what denies it.
    pub denied: Vec<DeniedAction>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DeniedAction {
    pub action: String,
    pub resource: String,
    pub denial: Denial,
}

/// What denies a request: each calls for a different remedy, and only the first is cured by
/// attaching a policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denial {
    NoAllow,
    ExplicitDeny,
    Boundary,
    Organizations,
}

impl Denial {
    /// As the evidence's `decision` says it.
    pub fn label(self) -> &'static str {
        match self {
            Denial::NoAllow => "no policy allows it",
            Denial::ExplicitDeny => "explicit deny",
            Denial::Boundary => "the permissions boundary does not allow it",
            Denial::Organizations => "a service control policy does not allow it",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct StoredDetail {
    /// The region of a log group that does not exist.
    pub region: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct GeneralDetail {
    pub failed_call: Option<String>,
}
