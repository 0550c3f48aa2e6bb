//! A hostile Admin API on loopback: each request is answered by a script (status, headers, body,
//! or a stall), and every request is recorded with its headers, so tests can check what the
//! client sent and where.
#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;

/// How to answer one request.
#[derive(Clone)]
pub enum Reply {
    /// Status, extra headers, body.
    Send(u16, Vec<(&'static str, String)>, String),
    /// 200 with headers and the first bytes of a body, then silence forever.
    StallBody(String),
    /// No answer at all.
    Hang,
}

impl Reply {
    pub fn json(body: impl Into<String>) -> Reply {
        Reply::Send(200, vec![("content-type", "application/json".into())], body.into())
    }
}

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub path: String,
    pub query: String,
    pub headers: HeaderMap,
}

type Script = dyn Fn(&str, &str, usize) -> Reply + Send + Sync;

/// A running hostile server with its own runtime. Stops when dropped.
pub struct Hostile {
    pub base_url: String,
    pub seen: Arc<Mutex<Vec<Seen>>>,
    _rt: tokio::runtime::Runtime,
}

impl Hostile {
    /// Serves `script(path, query, n)` (n = 0-based request number) on `ip`.
    pub fn start(ip: &str, script: impl Fn(&str, &str, usize) -> Reply + Send + Sync + 'static) -> Hostile {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let script: Arc<Script> = Arc::new(script);
        let listener = rt.block_on(tokio::net::TcpListener::bind((ip, 0))).unwrap();
        let addr = listener.local_addr().unwrap();
        let log = seen.clone();
        let app = Router::new().fallback(move |uri: Uri, headers: HeaderMap| {
            let (log, script) = (log.clone(), script.clone());
            async move {
                let n = {
                    let mut l = log.lock().unwrap();
                    l.push(Seen {
                        path: uri.path().to_owned(),
                        query: uri.query().unwrap_or("").to_owned(),
                        headers: headers.clone(),
                    });
                    l.len() - 1
                };
                answer(script(uri.path(), uri.query().unwrap_or(""), n)).await
            }
        });
        rt.spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Hostile { base_url: format!("http://{addr}"), seen, _rt: rt }
    }

    pub fn requests(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

async fn answer(reply: Reply) -> Response {
    match reply {
        Reply::Send(status, headers, body) => {
            let mut r = Response::builder().status(StatusCode::from_u16(status).unwrap());
            for (k, v) in headers {
                r = r.header(k, v);
            }
            r.header("request-id", "req_hostile").body(Body::from(body)).unwrap()
        }
        Reply::StallBody(first) => {
            let stream =
                futures::stream::once(async move { Ok::<_, std::io::Error>(first) }).chain(futures::stream::pending());
            Response::builder()
                .status(200)
                .header("content-type", "application/json")
                .body(Body::from_stream(stream))
                .unwrap()
        }
        Reply::Hang => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            Response::new(Body::empty())
        }
    }
}

use futures::StreamExt;

/// A usage page with one bucket per `[start, start + step)` from `starts`, each with `results`.
pub fn usage_page(buckets: &[(&str, &str, &str)], has_more: bool, next: Option<&str>) -> String {
    let data: Vec<String> = buckets
        .iter()
        .map(|(s, e, results)| format!(r#"{{"starting_at":"{s}","ending_at":"{e}","results":[{results}]}}"#))
        .collect();
    let next = next.map(|n| format!("\"{n}\"")).unwrap_or_else(|| "null".into());
    format!(r#"{{"data":[{}],"has_more":{has_more},"next_page":{next}}}"#, data.join(","))
}

/// One valid usage result with `output_tokens` given as raw JSON text.
pub fn usage_row(output_tokens: &str) -> String {
    format!(
        r#"{{"uncached_input_tokens":10,"cache_creation":{{"ephemeral_1h_input_tokens":0,"ephemeral_5m_input_tokens":0}},"cache_read_input_tokens":0,"output_tokens":{output_tokens},"server_tool_use":{{"web_search_requests":0}},"api_key_id":null,"workspace_id":null,"model":"claude-sonnet-4-6","service_tier":"standard","context_window":"0-200k","inference_geo":"global","speed":"standard","account_id":null,"service_account_id":null}}"#
    )
}
