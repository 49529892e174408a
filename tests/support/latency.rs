//! A fixed delay added to every AWS call, with each call's start and end recorded: what `make bench`
//! measures a diagnosis with. On loopback the emulator answers in milliseconds, so without the delay
//! the number of sequential rounds would not show in the wall time.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_config::SdkConfig;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;

use super::faults::{Fault, answer, operation_of};

/// One call: its operation, and when it was sent and answered.
#[derive(Debug, Clone)]
pub struct Call {
    pub operation: String,
    pub sent: Instant,
    pub answered: Option<Instant>,
}

/// Every call made through a [`delayed`] config.
#[derive(Debug, Default, Clone)]
pub struct Timeline(Arc<Mutex<Vec<Call>>>);

impl Timeline {
    /// The calls, less STS (the bench's own credentials).
    pub fn calls(&self) -> Vec<Call> {
        self.0.lock().unwrap().iter().filter(|c| !c.operation.starts_with("sts:")).cloned().collect()
    }

    pub fn clear(&self) {
        self.0.lock().unwrap().clear();
    }

    /// How many calls had to wait for another's answer before they could be sent, plus one: the
    /// longest chain of calls each sent after the one before it was answered.
    pub fn rounds(&self) -> usize {
        self.by_round().into_iter().map(|(round, _)| round).max().unwrap_or(0)
    }

    /// Each call with its round, in the order sent.
    pub fn by_round(&self) -> Vec<(usize, String)> {
        let mut calls = self.calls();
        calls.sort_by_key(|c| c.sent);
        let mut depth: Vec<usize> = Vec::with_capacity(calls.len());
        for (i, call) in calls.iter().enumerate() {
            let before = (0..i).filter(|&j| calls[j].answered.is_some_and(|a| a <= call.sent)).map(|j| depth[j]).max().unwrap_or(0);
            depth.push(before + 1);
        }
        depth.into_iter().zip(calls.into_iter().map(|c| c.operation)).collect()
    }
}

/// `config` with every call held for `delay` before it is sent; the `denied` operations (say, one
/// the emulator lacks) are answered AccessDenied after the same delay instead.
pub fn delayed(config: &SdkConfig, delay: Duration, denied: &[&str]) -> (SdkConfig, Timeline) {
    let timeline = Timeline::default();
    let inner = config.http_client().unwrap_or_else(|| aws_smithy_http_client::Builder::new().build_http());
    let denied = denied.iter().map(|d| d.to_string()).collect();
    let client = DelayedClient { inner, delay, denied, timeline: timeline.clone() };
    (config.to_builder().http_client(SharedHttpClient::new(client)).build(), timeline)
}

#[derive(Debug, Clone)]
struct DelayedClient {
    inner: SharedHttpClient,
    delay: Duration,
    denied: Vec<String>,
    timeline: Timeline,
}

impl HttpClient for DelayedClient {
    fn http_connector(&self, settings: &HttpConnectorSettings, components: &RuntimeComponents) -> SharedHttpConnector {
        SharedHttpConnector::new(DelayedConnector {
            inner: self.inner.http_connector(settings, components),
            delay: self.delay,
            denied: self.denied.clone(),
            timeline: self.timeline.clone(),
        })
    }
}

#[derive(Debug)]
struct DelayedConnector {
    inner: SharedHttpConnector,
    delay: Duration,
    denied: Vec<String>,
    timeline: Timeline,
}

impl HttpConnector for DelayedConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let (service, action) = operation_of(&request);
        let operation = format!("{service}:{action}");
        let deny = self.denied.contains(&operation);
        let index = {
            let mut calls = self.timeline.0.lock().unwrap();
            calls.push(Call { operation, sent: Instant::now(), answered: None });
            calls.len() - 1
        };
        let (inner, delay, timeline) = (self.inner.clone(), self.delay, self.timeline.clone());
        HttpConnectorFuture::new(async move {
            tokio::time::sleep(delay).await;
            let answer = if deny { Ok(answer(&service, &action, Fault::AccessDenied)) } else { inner.call(request).await };
            timeline.0.lock().unwrap()[index].answered = Some(Instant::now());
            answer
        })
    }
}
