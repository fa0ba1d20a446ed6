//! The table of registered I/O sources, keyed by the token mio hands back with events.
//!
//! Lesson: the kernel knows a socket only by the number we registered it with. When a
//! socket is closed and its slot reused by a new socket, an event for the *old* one may
//! still be in flight — and must not wake the new one. So a token is a slab key plus a
//! generation: `generation << 32 | key`. An event whose generation does not match the
//! slot's current one is stale and dropped.
//!
//! Simplification: the token is a `usize`, so this layout assumes a 64-bit target (on
//! 32 bits the generation would be shifted out entirely). turtles only builds for 64-bit
//! Unix; a 32-bit port would split 16/16 or keep the generation beside the token.

use mio::Token;
use slab::Slab;

use crate::{readiness::Readiness, shim::Arc};

const KEY_BITS: u32 = 32;
const KEY_MASK: usize = (1 << KEY_BITS) - 1;

/// One registered source: its readiness, and which generation of the slot it is.
#[derive(Debug)]
struct SourceSlot {
    generation: usize,
    readiness: Arc<Readiness>,
}

/// Registered sources; the reactor keeps this behind a mutex.
#[derive(Debug, Default)]
pub struct Sources {
    slab: Slab<SourceSlot>,
    next_generation: usize,
}

impl Sources {
    /// Reserves a slot for a new source; returns its token and its readiness.
    pub fn insert(&mut self) -> (Token, Arc<Readiness>) {
        let generation = self.next_generation & (usize::MAX >> KEY_BITS);
        self.next_generation = self.next_generation.wrapping_add(1);
        let readiness = Arc::new(Readiness::new());
        let key = self.slab.insert(SourceSlot {
            generation,
            readiness: readiness.clone(),
        });
        assert!(key <= KEY_MASK, "more than 2^32 sources registered at once");
        (Token((generation << KEY_BITS) | key), readiness)
    }

    /// The source behind `token`, if it is still the one the token was made for.
    pub fn get(&self, token: Token) -> Option<&Arc<Readiness>> {
        let entry = self.slab.get(token.0 & KEY_MASK)?;
        (entry.generation == token.0 >> KEY_BITS).then_some(&entry.readiness)
    }

    /// Forgets a source. A stale token does nothing.
    pub fn remove(&mut self, token: Token) -> Option<Arc<Readiness>> {
        self.get(token)?;
        Some(self.slab.remove(token.0 & KEY_MASK).readiness)
    }

    /// Sources registered right now.
    pub fn len(&self) -> usize {
        self.slab.len()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn a_reused_slot_ignores_the_old_token() {
        let mut sources = Sources::default();
        let (old, old_readiness) = sources.insert();
        assert!(sources.remove(old).is_some());
        let (new, new_readiness) = sources.insert();
        assert_eq!(
            old.0 & KEY_MASK,
            new.0 & KEY_MASK,
            "the slab reused the slot"
        );
        assert_ne!(old, new, "but the token differs");
        assert!(sources.get(old).is_none(), "a stale event finds nothing");
        assert!(Arc::ptr_eq(sources.get(new).unwrap(), &new_readiness));
        assert!(!Arc::ptr_eq(&old_readiness, &new_readiness));
        assert!(
            sources.remove(old).is_none(),
            "a stale deregistration removes nothing"
        );
        assert_eq!(sources.len(), 1);
    }
}
