//! Server-wide settings and signing keys, settled by whichever node writes first.

use std::sync::Arc;

use keygate_core::model::SigningKeyRecord;
use keygate_core::Store;

use crate::fixtures::NOW;

/// Of several nodes racing to set a setting, one wins and every one of them reads its value.
pub async fn setting_or_insert_keeps_the_first_writers_value(store: Arc<dyn Store>) {
    let first = store
        .setting_or_insert("csrf_key", b"first")
        .await
        .expect("setting");
    assert_eq!(first, b"first");
    let second = store
        .setting_or_insert("csrf_key", b"second")
        .await
        .expect("setting");
    assert_eq!(second, b"first");

    let mut racers = tokio::task::JoinSet::new();
    for i in 0..10u8 {
        let store = Arc::clone(&store);
        racers.spawn(async move {
            store
                .setting_or_insert("raced", &[i])
                .await
                .expect("setting")
        });
    }
    let values = racers.join_all().await;
    assert!(values.windows(2).all(|w| w[0] == w[1]), "{values:?}");
    assert_eq!(values[0].len(), 1);
}

fn key(kid: &str, created_at: i64) -> SigningKeyRecord {
    SigningKeyRecord {
        kid: kid.to_owned(),
        algorithm: "ES256".to_owned(),
        private_der: kid.as_bytes().to_vec(),
        state: "active".to_owned(),
        created_at,
        retired_at: None,
        purpose: "access".into(),
    }
}

/// The first candidate becomes the active key; later candidates are dropped and every caller
/// gets the stored keys back.
pub async fn ensure_signing_key_keeps_the_first_active_key(store: Arc<dyn Store>) {
    assert!(store.signing_keys().await.expect("keys").is_empty());
    let first = store
        .ensure_signing_key(key("kid-1", NOW))
        .await
        .expect("ensure key");
    assert_eq!(first, vec![key("kid-1", NOW)]);
    let second = store
        .ensure_signing_key(key("kid-2", NOW + 1))
        .await
        .expect("ensure key");
    assert_eq!(second, first);
    assert_eq!(store.signing_keys().await.expect("keys"), first);
}
