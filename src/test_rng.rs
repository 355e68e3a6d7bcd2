//! The seeded generator the unit tests draw random cases from (xorshift64*), so that a
//! failure can be replayed from its seed.

/// A xorshift64* generator.
pub(crate) struct Rng(u64);

impl Rng {
    /// A generator whose state starts at `state` (not zero).
    pub(crate) fn new(state: u64) -> Rng {
        Rng(state)
    }

    /// A number below `bound` (not zero).
    pub(crate) fn below(&mut self, bound: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % bound as u64) as usize
    }

    /// `count` of `pieces` picked at random, joined.
    pub(crate) fn joined(&mut self, pieces: &[&str], count: usize) -> String {
        (0..count).map(|_| pieces[self.below(pieces.len())]).collect()
    }
}
