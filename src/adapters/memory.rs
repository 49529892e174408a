//! The in-memory adapter: every port answered from what a test gives it, every call recorded, so a
//! test proves what the engine asked and what it made of the answers, with no AWS at all.
//!
//! An answer is set per method, as a function of the call's arguments:
//! `memory.answers.image(|_, _, _, selector| ...)`. A method without one answers blank: a fact known
//! to be empty (`Known(None)`, no items, `false`), a write that succeeds. Generated from the ports'
//! declaration (`facts::ports`), so a new call needs nothing here.

use std::sync::Mutex;

use crate::facts::ports::prelude::*;
use crate::facts::ports::*;

/// The answer of a call nobody set one for.
pub trait Blank {
    fn blank() -> Self;
}

impl<T: Default> Blank for Fact<T> {
    fn blank() -> Self {
        Fact::Known(T::default())
    }
}

impl<T: Default> Blank for Result<T, CallFailure> {
    fn blank() -> Self {
        Ok(T::default())
    }
}

impl Blank for VpcFacts {
    fn blank() -> Self {
        VpcFacts {
            vpc_id: String::new(),
            subnets: Fact::blank(),
            route_tables: Fact::blank(),
            nat_gateways: Fact::blank(),
            endpoints: Fact::blank(),
            security_groups: Fact::blank(),
            network_acls: Fact::blank(),
            dns_support: Fact::Known(true),
            dns_hostnames: Fact::Known(true),
            s3_prefix_list: Fact::blank(),
            referenced_prefix_lists: Vec::new(),
        }
    }
}

/// Answers every port from [`Answers`], recording each call.
#[derive(Default)]
pub struct Memory {
    pub answers: Answers,
    calls: Mutex<Vec<String>>,
}

impl Memory {
    /// The calls made so far, in order: the IAM operation of a read or write, the method's name for
    /// a read of several calls.
    pub fn calls(&self) -> Vec<String> {
        self.calls
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    fn record(&self, call: &str) {
        self.calls
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push(call.to_string());
    }
}

macro_rules! memory_impls {
    ($(
        $(#[$trait_doc:meta])*
        $port:ident: $sharing:ident {
            $(
                $(#[$doc:meta])*
                $kind:ident [$($spec:tt)*]
                fn $name:ident(&self $(, $arg:ident: $ty:ty)* $(; $deadline:ident: Deadline)?) -> $answer:ty;
            )*
        }
    )*) => {
        /// One answer per method, as a function of its arguments (the deadline aside).
        #[derive(Default)]
        #[allow(clippy::type_complexity)]
        pub struct Answers {
            $($( $name: Option<Box<dyn Fn($($ty),*) -> $answer + Send + Sync>>, )*)*
        }

        impl Answers {
            $($(
                #[doc = concat!("Answers `", stringify!($name), "` with `answer` from now on.")]
                pub fn $name(&mut self, answer: impl Fn($($ty),*) -> $answer + Send + Sync + 'static) -> &mut Self {
                    self.$name = Some(Box::new(answer));
                    self
                }
            )*)*
        }

        $(
            impl $port for Memory {
                $(
                    #[allow(unused_variables)]
                    async fn $name(&self $(, $arg: $ty)* $(, $deadline: Deadline)?) -> $answer {
                        self.record(&memory_impls!(@name $kind [$($spec)*] $name));
                        match &self.answers.$name {
                            Some(answer) => answer($($arg),*),
                            None => Blank::blank(),
                        }
                    }
                )*
            }
        )*
    };
    (@name parts [$($spec:tt)*] $name:ident) => { stringify!($name).to_string() };
    (@name $kind:ident [$operation:expr, $($resource:tt)*] $name:ident) => { $operation.iam().to_string() };
}

crate::with_ports!(memory_impls);

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_call_is_answered_as_set_or_blank_and_recorded() {
        let mut memory = Memory::default();
        memory
            .answers
            .log_group_exists(|_, group| Fact::Known(group == "/ecs/web"));
        assert_eq!(
            memory.log_group_exists("us-east-1", "/ecs/web").await,
            Fact::Known(true)
        );
        assert_eq!(
            memory.log_group_exists("us-east-1", "/ecs/api").await,
            Fact::Known(false)
        );
        assert_eq!(
            memory.describe_secret("us-east-1", "arn").await,
            Fact::Known(None),
            "blank"
        );
        let call = Call::CreateTags {
            resources: vec![],
            tags: Default::default(),
        };
        assert_eq!(memory.call("us-east-1", &call).await, Ok(None));
        assert_eq!(
            memory.calls(),
            [
                "logs:DescribeLogGroups",
                "logs:DescribeLogGroups",
                "secretsmanager:DescribeSecret",
                "ec2:CreateTags"
            ]
        );
    }
}
