//! Reads shared between diagnoses: each distinct read is made once and its answer given to every
//! caller, so a sweep of services that share a VPC, a role or a repository asks about each once.
//! A wrapper around any reader; the readers' semantics are unchanged.

use std::any::Any;
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use tokio::sync::OnceCell;

use super::ports::prelude::*;
use super::ports::*;

/// `inner`, with every read made at most once per distinct question.
pub struct Memo<R> {
    inner: R,
    answers: Mutex<HashMap<String, Arc<dyn Any + Send + Sync>>>,
    asked: std::sync::atomic::AtomicUsize,
}

impl<R> Memo<R> {
    pub fn new(inner: R) -> Self {
        Memo {
            inner,
            answers: Mutex::new(HashMap::new()),
            asked: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    /// How many distinct reads were made (each AWS call behind one counts once).
    pub fn distinct_reads(&self) -> usize {
        self.asked.load(std::sync::atomic::Ordering::Relaxed)
    }

    pub fn inner(&self) -> &R {
        &self.inner
    }

    /// The answer to `key`: the first caller's read, which the others wait for.
    async fn once<T: Clone + Send + Sync + 'static>(&self, key: String, read: impl Future<Output = T>) -> T {
        // On the heap: a VPC's read is a large future, and a sweep holds several at once.
        let read = Box::pin(read);
        let cell = {
            let mut answers = self.answers.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            let entry = answers
                .entry(key)
                .or_insert_with(|| Arc::new(OnceCell::<T>::new()) as Arc<dyn Any + Send + Sync>);
            Arc::clone(entry)
                .downcast::<OnceCell<T>>()
                .expect("one answer type per kind of read")
        };
        cell.get_or_init(|| async {
            self.asked.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            read.await
        })
        .await
        .clone()
    }
}

macro_rules! memo_impls {
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
        $( memo_impls!(@port $sharing $port { $( fn $name(&self $(, $arg: $ty)* $(; $deadline)?) -> $answer; )* }); )*
    };
    // A question is its method and its arguments (not the deadline, which bounds it).
    (@port reads $port:ident { $( fn $name:ident(&self $(, $arg:ident: $ty:ty)* $(; $deadline:ident)?) -> $answer:ty; )* }) => {
        impl<R: $port> $port for Memo<R> {
            $(
                async fn $name(&self $(, $arg: $ty)* $(, $deadline: Deadline)?) -> $answer {
                    let question = format!("{} {:?}", stringify!($name), ($(&$arg,)*));
                    self.once(question, self.inner.$name($($arg,)* $($deadline)?)).await
                }
            )*
        }
    };
    // Writes are never shared.
    (@port acts $port:ident { $($method:tt)* }) => {};
}

crate::with_ports!(memo_impls);

#[cfg(test)]
mod tests {
    use super::*;

    struct Counting(std::sync::atomic::AtomicUsize);

    impl SecretReader for Counting {
        async fn describe_secret(&self, _: &str, _: &str) -> Fact<Option<SecretMeta>> {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            tokio::task::yield_now().await;
            Fact::Known(None)
        }
        async fn describe_parameter(&self, _: &str, _: &str) -> Fact<Option<SecretMeta>> {
            Fact::Known(None)
        }
        async fn log_group_exists(&self, _: &str, _: &str) -> Fact<bool> {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Fact::Known(true)
        }
        async fn key_arn(&self, _: &str, _: &str) -> Fact<Option<String>> {
            Fact::Known(None)
        }
    }

    #[tokio::test]
    async fn each_question_is_asked_once_however_many_ask_it_at_once() {
        let memo = Memo::new(Counting(std::sync::atomic::AtomicUsize::new(0)));
        let asks = (0..20).map(|i| memo.describe_secret("us-east-1", if i % 2 == 0 { "a" } else { "b" }));
        let answers = futures::future::join_all(asks).await;
        assert!(answers.iter().all(|a| *a == Fact::Known(None)));
        assert_eq!(
            memo.inner().0.load(std::sync::atomic::Ordering::SeqCst),
            2,
            "two distinct secrets, two reads"
        );
        // Different kinds of read with the same arguments are different questions.
        assert_eq!(memo.log_group_exists("us-east-1", "a").await, Fact::Known(true));
        assert_eq!(
            (
                memo.inner().0.load(std::sync::atomic::Ordering::SeqCst),
                memo.distinct_reads()
            ),
            (3, 3)
        );
    }
}
