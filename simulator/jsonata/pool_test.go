package jsonata

import (
	"sync"
	"testing"
)

// GIVEN a pool of two processes
// WHEN many goroutines evaluate at once
// THEN every answer is its own request's, and both processes were used.
func TestPoolSpreadsRequests(t *testing.T) {
	p, err := StartPool(2)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = p.Close() }()
	var wg sync.WaitGroup
	errs := make(chan string, 400)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				x := float64(g*1000 + i)
				v, _, err := p.Eval("$x * 2", nil, map[string]any{"x": x})
				if err != nil || v != 2*x {
					errs <- "wrong answer"
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
	for i, e := range p.evs {
		if e.nextID.Load() == 0 {
			t.Errorf("process %d received no request", i)
		}
	}
	if _, err := StartPool(0); err == nil {
		t.Error("StartPool(0) succeeded")
	}
}
