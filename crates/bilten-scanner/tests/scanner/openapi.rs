//! The check-in API's OpenAPI document against the running scanner: served as generated, and
//! the router answers exactly the documented operations.

use reqwest::{Method, StatusCode};

use crate::helpers::Scanner;

#[tokio::test]
async fn the_checkin_document_is_served_and_the_router_serves_exactly_its_operations() {
    let app = bilten_test_support::TestApp::spawn().await;
    let scanner = Scanner::spawn(app.store.clone()).await;
    let client = reqwest::Client::new();
    let served: serde_json::Value = client
        .get(format!("{}/api/v1/checkin/openapi.json", scanner.address))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        served,
        serde_json::to_value(bilten_scanner::openapi::openapi()).unwrap()
    );
    let paths = served["paths"].as_object().unwrap();
    assert_eq!(paths.len(), 7);
    for (path, item) in paths {
        for method in [
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ] {
            let documented = item.get(method.as_str().to_lowercase()).is_some();
            // No token and no body: a routed operation refuses the request itself (401, 4xx
            // for the body), the router alone answers 404 (no route) or 405 (no method).
            let status = client
                .request(method.clone(), format!("{}{path}", scanner.address))
                .send()
                .await
                .unwrap()
                .status();
            if documented {
                assert!(
                    status != StatusCode::NOT_FOUND && status != StatusCode::METHOD_NOT_ALLOWED,
                    "{method} {path} is documented but answered {status}"
                );
            } else {
                assert_eq!(
                    status,
                    StatusCode::METHOD_NOT_ALLOWED,
                    "{method} {path} is not documented"
                );
            }
        }
    }
}
