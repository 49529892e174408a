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
pub use super::simulator::Simulator;

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
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|c| !c.operation.starts_with("sts:"))
            .cloned()
            .collect()
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
            let before = (0..i)
                .filter(|&j| calls[j].answered.is_some_and(|a| a <= call.sent))
                .map(|j| depth[j])
                .max()
                .unwrap_or(0);
            depth.push(before + 1);
        }
        depth.into_iter().zip(calls.into_iter().map(|c| c.operation)).collect()
    }
}

/// How iam:SimulatePrincipalPolicy, which the emulator lacks, is answered.
#[derive(Debug, Clone)]
pub enum Simulation {
    /// AccessDenied, as AWS answers a doctor not allowed to simulate: roles are evaluated offline.
    Denied,
    /// By the given roles' policies (see [`Simulator`]), as AWS answers a doctor allowed to.
    Answered(Simulator),
}

/// `config` with every call held for `delay` before it is sent; iam:SimulatePrincipalPolicy is
/// answered after the same delay as `simulation` says.
pub fn delayed(config: &SdkConfig, delay: Duration, simulation: Simulation) -> (SdkConfig, Timeline) {
    let timeline = Timeline::default();
    let inner = config
        .http_client()
        .unwrap_or_else(|| aws_smithy_http_client::Builder::new().build_http());
    let client = DelayedClient {
        inner,
        delay,
        simulation,
        timeline: timeline.clone(),
    };
    (
        config.to_builder().http_client(SharedHttpClient::new(client)).build(),
        timeline,
    )
}

#[derive(Debug, Clone)]
struct DelayedClient {
    inner: SharedHttpClient,
    delay: Duration,
    simulation: Simulation,
    timeline: Timeline,
}

impl HttpClient for DelayedClient {
    fn http_connector(&self, settings: &HttpConnectorSettings, components: &RuntimeComponents) -> SharedHttpConnector {
        SharedHttpConnector::new(DelayedConnector {
            inner: self.inner.http_connector(settings, components),
            delay: self.delay,
            simulation: self.simulation.clone(),
            timeline: self.timeline.clone(),
        })
    }
}

#[derive(Debug)]
struct DelayedConnector {
    inner: SharedHttpConnector,
    delay: Duration,
    simulation: Simulation,
    timeline: Timeline,
}

impl HttpConnector for DelayedConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let (service, action) = operation_of(&request);
        let operation = format!("{service}:{action}");
        let simulated = (operation == "iam:SimulatePrincipalPolicy").then(|| match &self.simulation {
            Simulation::Denied => answer(&service, &action, Fault::AccessDenied),
            Simulation::Answered(simulator) => simulator.answer(&request),
        });
        let index = {
            let mut calls = self.timeline.0.lock().unwrap();
            calls.push(Call {
                operation,
                sent: Instant::now(),
                answered: None,
            });
            calls.len() - 1
        };
        let (inner, delay, timeline) = (self.inner.clone(), self.delay, self.timeline.clone());
        HttpConnectorFuture::new(async move {
            tokio::time::sleep(delay).await;
            let answer = match simulated {
                Some(response) => Ok(response),
                None => inner.call(request).await,
            };
            timeline.0.lock().unwrap()[index].answered = Some(Instant::now());
            answer
        })
    }
}
