//! [`Bounded`] puts the diagnosis's deadline around any [`Doctor`](crate::facts::Doctor): the engine
//! wraps whatever it is given, so the AWS adapter and the in-memory one are bounded alike. Generated
//! from the ports' declaration (`facts::ports`).

use std::future::Future;
use std::time::Duration;

use crate::facts::past_deadline;
use crate::facts::ports::prelude::*;
use crate::facts::ports::*;

/// A read of several calls may finish what it has this long after the deadline, to keep the parts
/// that answered; the adapter cuts each part off at the deadline itself.
const PARTS_GRACE: Duration = Duration::from_millis(200);

/// A reader and writer whose every call ends by the deadline.
pub struct Bounded<'a, D> {
    inner: &'a D,
    deadline: Deadline,
}

impl<'a, D> Bounded<'a, D> {
    pub fn new(inner: &'a D, deadline: Deadline) -> Self {
        Bounded { inner, deadline }
    }

    /// A write starts only before the deadline. One that is still out when it passes may or may not
    /// have taken effect: the failure says so, and every fix is safe to apply again.
    async fn write<T>(
        &self,
        operation: Operation,
        resource: &str,
        call: impl Future<Output = Result<T, CallFailure>>,
    ) -> Result<T, CallFailure> {
        let failure = |message: &str| past_deadline(operation.iam(), resource, message);
        if self.deadline.passed() {
            return Err(failure("not made: the diagnosis's deadline had passed"));
        }
        match tokio::time::timeout_at(self.deadline.instant(), call).await {
            Ok(result) => result,
            Err(_) => Err(failure(
                "no answer before the deadline; it may have taken effect, so read again before retrying",
            )),
        }
    }
}

macro_rules! bounded_impls {
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
        $(
            impl<D: $port> $port for Bounded<'_, D> {
                $(
                    async fn $name(&self $(, $arg: $ty)* $(, $deadline: Deadline)?) -> $answer {
                        bounded_impls!(@call self, $kind [$($spec)*], $name ($($arg),*) ($($deadline)?))
                    }
                )*
            }
        )*
    };
    (@call $self:ident, read [$operation:expr, $resource:expr], $name:ident ($($arg:ident),*) ()) => {
        $self.deadline.bound($operation.iam(), &$resource, $self.inner.$name($($arg),*)).await
    };
    (@call $self:ident, write [$operation:expr, $resource:expr], $name:ident ($($arg:ident),*) ()) => {
        $self.write($operation, &$resource, $self.inner.$name($($arg),*)).await
    };
    (@call $self:ident, parts [$cut_off:expr], $name:ident ($($arg:ident),*) ($deadline:ident)) => {{
        let $deadline = $deadline.earliest($self.deadline);
        match tokio::time::timeout_at($deadline.instant() + PARTS_GRACE, $self.inner.$name($($arg,)* $deadline)).await {
            Ok(answer) => answer,
            Err(_) => $cut_off,
        }
    }};
}

crate::with_ports!(bounded_impls);
