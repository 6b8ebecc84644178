//! Per-client-IP login throttling (a token bucket per address, in memory).
//! Per-account lockout lives in the database instead, so it holds across server instances.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

pub struct IpLimiter {
    per_minute: f64,
    buckets: Mutex<HashMap<String, Bucket>>,
}

struct Bucket {
    tokens: f64,
    updated: Instant,
}

impl IpLimiter {
    pub fn new(per_minute: u32) -> IpLimiter {
        IpLimiter {
            per_minute: f64::from(per_minute.max(1)),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one attempt for `ip`; on refusal returns the seconds until the next attempt is allowed.
    pub fn check(&self, ip: &str) -> Result<(), u64> {
        let now = Instant::now();
        let rate_per_sec = self.per_minute / 60.0;
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() > 100_000 {
            // Drop buckets that have refilled completely: they carry no state.
            let full_after = self.per_minute / rate_per_sec;
            buckets.retain(|_, b| now.duration_since(b.updated).as_secs_f64() < full_after);
        }
        let bucket = buckets.entry(ip.to_owned()).or_insert(Bucket {
            tokens: self.per_minute,
            updated: now,
        });
        let elapsed = now.duration_since(bucket.updated).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * rate_per_sec).min(self.per_minute);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - bucket.tokens) / rate_per_sec).ceil().max(1.0) as u64)
        }
    }
}
