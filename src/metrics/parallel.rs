//! Work on the rows of a large input, split among the cores.

/// Below this many rows a thread costs more than it saves.
pub const MIN_ROWS_PER_THREAD: usize = 100_000;

/// How many threads `amount` of work is worth: one per core, but none with less than
/// `least_per_thread` of it.
pub fn threads(amount: usize, least_per_thread: usize) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    cores.min(amount / least_per_thread).max(1)
}

/// Fills `out` side by side: `work(first, share)` is called on consecutive shares of it, one
/// per thread, with the index of the share's first row. Small inputs stay on this thread.
pub fn fill<T: Send>(out: &mut [T], work: impl Fn(usize, &mut [T]) + Sync) {
    let share = out.len().div_ceil(threads(out.len(), MIN_ROWS_PER_THREAD)).max(1);
    let work = &work;
    std::thread::scope(|scope| {
        let mut shares = out.chunks_mut(share).enumerate();
        let first = shares.next();
        for (k, rows) in shares {
            scope.spawn(move || work(k * share, rows));
        }
        if let Some((_, rows)) = first {
            work(0, rows);
        }
    });
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_row_is_filled_once_with_its_own_index() {
        for rows in [0, 1, 99_999, 250_001] {
            let mut out = vec![usize::MAX; rows];
            super::fill(&mut out, |first, share| {
                for (j, value) in share.iter_mut().enumerate() {
                    assert_eq!(*value, usize::MAX);
                    *value = first + j;
                }
            });
            assert!(out.iter().enumerate().all(|(i, &v)| v == i), "{rows}");
        }
    }
}
