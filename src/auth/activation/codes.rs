//! Activation codes: how they are made and hashed (issuing them is `rosters::activation`).

use rand::Rng;
use sha2::{Digest, Sha256};

/// Letters and digits that cannot be mistaken for one another when read off a printed card.
const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
/// 12 symbols of 31: about 59 bits, so guessing is hopeless within the rate limit and expiry.
const CODE_LENGTH: usize = 12;
pub fn new_code() -> String {
    let mut rng = rand::thread_rng();
    let raw: String = (0..CODE_LENGTH)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect();
    format!("{}-{}-{}", &raw[0..4], &raw[4..8], &raw[8..12])
}

/// The stored form of a code, as typed in any case, with or without dashes and spaces.
pub fn hash_code(code: &str) -> String {
    let normalized: String = code
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_uppercase)
        .collect();
    format!("{:x}", Sha256::digest(normalized.as_bytes()))
}
