// A Rust library: its exported function names are mangled (legacy or v0).
pub struct Counter {
    pub n: u64,
}

impl Counter {
    #[inline(never)]
    pub fn bump(&mut self, by: u64) -> u64 {
        self.n += by;
        self.n
    }
}

#[inline(never)]
pub fn compute_sum(v: &[u64]) -> u64 {
    v.iter().sum()
}
