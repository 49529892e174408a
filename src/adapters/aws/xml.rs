//! EC2 and IAM answer in XML, and the SDK's XML reader takes a body cut short (a dropped connection,
//! a proxy) for a complete answer: an empty or partial list of endpoints, NAT gateways or policies
//! would then read as a fact. This interceptor turns such an answer into a failed call.

use aws_sdk_ec2::config::interceptors::AfterDeserializationInterceptorContextRef;
use aws_sdk_ec2::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_ec2::error::BoxError;

#[derive(Debug)]
pub(crate) struct WholeXmlBody;

impl Intercept for WholeXmlBody {
    fn name(&self) -> &'static str {
        "WholeXmlBody"
    }

    fn read_after_deserialization(
        &self,
        context: &AfterDeserializationInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let response = context.response();
        match response.body().bytes() {
            Some(body) if response.status().is_success() && !is_whole_document(body) => {
                Err("the answer is not a complete XML document (cut short or malformed)".into())
            }
            _ => Ok(()),
        }
    }
}

/// Whether `body` is one XML element from its opening tag to its own closing tag.
pub(crate) fn is_whole_document(body: &[u8]) -> bool {
    let text = String::from_utf8_lossy(body);
    let mut text = text.trim();
    if let Some(rest) = text.strip_prefix("<?xml") {
        match rest.split_once("?>") {
            Some((_, after)) => text = after.trim_start(),
            None => return false,
        }
    }
    let Some(rest) = text.strip_prefix('<') else {
        return false;
    };
    let root: String = rest
        .chars()
        .take_while(|c| !c.is_whitespace() && !matches!(c, '>' | '/'))
        .collect();
    if root.is_empty() {
        return false;
    }
    let self_closed = text.ends_with("/>") && text.matches('<').count() == 1;
    self_closed || text.ends_with(&format!("</{root}>"))
}

#[cfg(test)]
mod tests {
    use super::is_whole_document;

    #[test]
    fn only_a_whole_document_passes() {
        assert!(is_whole_document(b"<?xml version=\"1.0\"?>\n<DescribeVpcEndpointsResponse xmlns=\"x\"><requestId>1</requestId></DescribeVpcEndpointsResponse>\n"));
        assert!(is_whole_document(b"<GetRoleResponse/>"));
        for cut in [
            &b"<DescribeVpcEndpointsResponse><DescribeVpcEndpointsResult><item>"[..],
            b"<DescribeVpcEndpointsResponse xmlns=\"x\"><vpcEndpointSet><item><vpcEndpointId>vpce-1</vpcEndpointId>",
            b"",
            b"{\"json\": true}",
            b"<?xml version=\"1.0\"",
        ] {
            assert!(!is_whole_document(cut), "{}", String::from_utf8_lossy(cut));
        }
    }
}
