//! The function's wiring from its environment: the AWS reader and the modes, and, when configured,
//! the member accounts' role (organization mode) and the notices' topic. The Lambda binary and the
//! local invoke example share it, so what the tests wire is what runs.

use crate::adapters::aws::SnsPublisher;
use crate::adapters::aws::{AwsClients, Organization};
use crate::facts::members::MemberRole;
use crate::handler::Handler;
use crate::notices::Destination;
use crate::settings::SettingError;

/// The handler the variables of `lookup` describe (README: configuration). A bad value is a
/// one-line error naming the variable.
pub fn aws_handler(
    reader: AwsClients,
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<Handler<AwsClients>, SettingError> {
    // The function's own credentials assume the member roles and publish the notices.
    let own = reader.sdk_config().clone();
    let role = MemberRole::from_env(&lookup)?;
    let destination = Destination::from_env(&lookup)?;
    let mut handler = Handler::from_lookup(reader, &lookup)?;
    if let Some(role) = role {
        handler = handler.with_members(Organization::new(own.clone(), role));
    }
    if let Some(destination) = destination {
        let publisher = SnsPublisher::new(&own, &destination);
        handler = handler.with_notices(destination, publisher);
    }
    Ok(handler)
}
