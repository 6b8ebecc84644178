//! Per-client-IP sign-in throttling, in memory: `governor`'s GCRA limiter keyed by address,
//! allowing `per_minute` attempts a minute with bursts of as many.
//! Per-account lockout lives in the database instead, so it holds across server instances.

use std::num::NonZeroU32;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

pub struct IpLimiter {
    limiter: DefaultKeyedRateLimiter<String>,
    clock: DefaultClock,
}

/// Addresses remembered before the ones whose allowance has refilled are forgotten.
const FORGET_ABOVE: usize = 100_000;

impl IpLimiter {
    pub fn new(per_minute: u32) -> IpLimiter {
        let per_minute = NonZeroU32::new(per_minute.max(1)).expect("at least one");
        IpLimiter {
            limiter: RateLimiter::keyed(Quota::per_minute(per_minute)),
            clock: DefaultClock::default(),
        }
    }

    /// Takes one attempt for `ip`; on refusal returns the seconds until the next attempt is allowed.
    pub fn check(&self, ip: &str) -> Result<(), u64> {
        if self.limiter.len() > FORGET_ABOVE {
            // Addresses whose allowance has refilled carry no state.
            self.limiter.retain_recent();
            self.limiter.shrink_to_fit();
        }
        let key = ip.to_owned();
        self.limiter.check_key(&key).map_err(|not_until| {
            let wait = not_until.wait_time_from(self.clock.now());
            wait.as_secs_f64().ceil().max(1.0) as u64
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_gets_its_allowance_then_a_wait_and_others_are_untouched() {
        let limiter = IpLimiter::new(3);
        for _ in 0..3 {
            assert_eq!(limiter.check("192.0.2.1"), Ok(()));
        }
        // Three a minute: the next attempt is one every 20 seconds.
        let wait = limiter.check("192.0.2.1").unwrap_err();
        assert!((1..=20).contains(&wait), "{wait}");
        assert_eq!(limiter.check("192.0.2.2"), Ok(()));
    }
}
