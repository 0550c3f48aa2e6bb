//! A notification receiver on loopback: answers each request by a script (status, headers, a
//! delay) and records every request with its headers and JSON body.
#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;

/// One request as the receiver saw it.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub headers: HeaderMap,
    pub body: serde_json::Value,
}

impl Received {
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
    }
}

/// How to answer request `n` (0-based): status, extra headers, delay before answering.
pub type Answer = (u16, Vec<(&'static str, String)>, Duration);

type Script = dyn Fn(usize) -> Answer + Send + Sync;

pub struct Receiver {
    pub url: String,
    log: Arc<Mutex<Vec<Received>>>,
    _rt: tokio::runtime::Runtime,
}

impl Receiver {
    pub fn start(script: impl Fn(usize) -> Answer + Send + Sync + 'static) -> Receiver {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        let log: Arc<Mutex<Vec<Received>>> = Arc::default();
        let script: Arc<Script> = Arc::new(script);
        let listener = rt.block_on(tokio::net::TcpListener::bind(("127.0.0.1", 0))).unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = log.clone();
        let app = Router::new().fallback(move |uri: Uri, headers: HeaderMap, body: Bytes| {
            let (seen, script) = (seen.clone(), script.clone());
            async move {
                let body = serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
                let n = {
                    let mut l = seen.lock().unwrap();
                    l.push(Received { path: uri.path().to_owned(), headers, body });
                    l.len() - 1
                };
                let (status, extra, delay) = script(n);
                tokio::time::sleep(delay).await;
                let mut r = Response::builder().status(StatusCode::from_u16(status).unwrap());
                for (k, v) in extra {
                    r = r.header(k, v);
                }
                r.body(axum::body::Body::from("ok")).unwrap()
            }
        });
        rt.spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Receiver { url: format!("http://{addr}/hook/SECRET-PATH-{}", addr.port()), log, _rt: rt }
    }

    /// Answers 200 to everything.
    pub fn ok() -> Receiver {
        Receiver::start(|_| (200, vec![], Duration::ZERO))
    }

    pub fn requests(&self) -> Vec<Received> {
        self.log.lock().unwrap().clone()
    }
}
