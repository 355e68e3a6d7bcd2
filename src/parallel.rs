//! Work spread over every core: an order-keeping parallel map on scoped threads.
//!
//! Extraction is CPU work on independent pages, so `run` extracts its files, feed items and
//! fetched pages on as many threads as the machine has cores. No thread pool outlives a call.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// `items.into_iter().map(f).collect()`, on up to one thread per core: each thread takes the
/// next item not taken yet, so a slow item does not hold up the others. The results keep the
/// items' order.
pub fn map<T: Send, R: Send>(items: Vec<T>, f: impl Fn(T) -> R + Sync) -> Vec<R> {
    map_heaviest_first(items, |_| 0, f)
}

/// [`map`], the items taken heaviest first by `weight` (a page's length): a large page
/// started last would leave the other cores idle while one reads it. The results keep the
/// items' order.
pub fn map_heaviest_first<T: Send, R: Send>(
    items: Vec<T>,
    weight: impl Fn(&T) -> usize,
    f: impl Fn(T) -> R + Sync,
) -> Vec<R> {
    let threads = std::thread::available_parallelism().map_or(1, usize::from).min(items.len());
    if threads <= 1 {
        return items.into_iter().map(f).collect();
    }
    let order = heaviest_first(&items.iter().map(weight).collect::<Vec<_>>());
    let slots: Vec<Mutex<Option<T>>> =
        items.into_iter().map(|item| Mutex::new(Some(item))).collect();
    let results: Vec<Mutex<Option<R>>> = slots.iter().map(|_| Mutex::new(None)).collect();
    let next = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                while let Some(&idx) = order.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let Some(slot) = slots.get(idx) else { break };
                    let item = slot.lock().map_or(None, |mut item| item.take());
                    if let (Some(item), Some(result)) = (item, results.get(idx)) {
                        let value = f(item);
                        if let Ok(mut result) = result.lock() {
                            *result = Some(value);
                        }
                    }
                }
            });
        }
    });
    // Every index below the length was taken by one thread and filled (a panic in `f` ends
    // the scope with that panic first).
    results.into_iter().filter_map(|result| result.into_inner().ok().flatten()).collect()
}

/// The indices of `weights`, heaviest first; equal weights keep their order.
fn heaviest_first(weights: &[usize]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by_key(|&idx| std::cmp::Reverse(weights[idx]));
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_order_and_runs_every_item_once() {
        let calls = AtomicUsize::new(0);
        let out = map((0..1000).collect(), |n: u64| {
            calls.fetch_add(1, Ordering::Relaxed);
            n * n
        });
        assert_eq!(out, (0..1000).map(|n| n * n).collect::<Vec<_>>());
        assert_eq!(calls.load(Ordering::Relaxed), 1000);
        assert_eq!(map(Vec::<u8>::new(), |n| n), Vec::<u8>::new());
        assert_eq!(map(vec!["one".to_owned()], |s| s.len()), [3]);
    }

    #[test]
    fn the_heaviest_go_first_and_the_order_is_kept() {
        assert_eq!(heaviest_first(&[1, 9, 3, 7, 5, 9]), [1, 5, 3, 4, 2, 0]);
        assert!(heaviest_first(&[]).is_empty());
        let calls = AtomicUsize::new(0);
        let out = map_heaviest_first(
            (0..1000).collect(),
            |n: &u64| (*n % 17) as usize,
            |n| {
                calls.fetch_add(1, Ordering::Relaxed);
                n * n
            },
        );
        assert_eq!(out, (0..1000).map(|n| n * n).collect::<Vec<_>>());
        assert_eq!(calls.load(Ordering::Relaxed), 1000);
    }
}
