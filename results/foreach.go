package results

import "sync"

// ForEachItem calls fn(i) for every item index i below n on up to workers
// goroutines and returns when every call has. Indexes go out in batches,
// so a scan of many cheap items (a status file each) costs one hand-off
// per batch rather than one per item. fn must be safe to call
// concurrently for different indexes.
func ForEachItem(n, workers int, fn func(i int)) {
	const batch = 64
	workers = max(workers, 1)
	next := make(chan int, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for start := range next {
				for i := start; i < min(start+batch, n); i++ {
					fn(i)
				}
			}
		}()
	}
	for start := 0; start < n; start += batch {
		next <- start
	}
	close(next)
	wg.Wait()
}
