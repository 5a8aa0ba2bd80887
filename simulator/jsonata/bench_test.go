package jsonata

import (
	"fmt"
	"testing"
)

// withReaderGoroutine turns e into the conventional design: one goroutine
// reads every response and hands it out; callers only wait on their
// channel. It holds the read token for good (releasing it at the end, for
// Close), so await's other branch never runs.
func withReaderGoroutine(e *Evaluator) *Evaluator {
	e.readTok <- struct{}{}
	go func() {
		defer func() { <-e.readTok }()
		for e.deadErr() == nil {
			e.readOne()
		}
	}()
	return e
}

// BenchmarkBridge compares the bridge's scheme (no reader goroutine: a
// waiting caller reads for everyone) with one reader goroutine, for one
// caller and for 64 concurrent callers (what a copy's inline Maps produce):
//
//	go test ./simulator/jsonata/ -run '^$' -bench Bridge -benchtime 20000x
func BenchmarkBridge(b *testing.B) {
	expr := "$states.input.bytes * 2"
	bind := states(map[string]any{"bytes": 5497558138880.0, "key": "exports/é/part-0001.parquet"})
	for _, design := range []string{"no reader goroutine", "reader goroutine"} {
		for _, callers := range []int{1, 64} {
			b.Run(fmt.Sprintf("%s/%d callers", design, callers), func(b *testing.B) {
				e, err := Start()
				if err != nil {
					b.Fatal(err)
				}
				if design == "reader goroutine" {
					withReaderGoroutine(e)
				}
				defer func() { _ = e.Close() }()
				for i := 0; i < 1000; i++ { // warm up
					if _, _, err := e.Eval(expr, nil, bind); err != nil {
						b.Fatal(err)
					}
				}
				b.SetParallelism(callers)
				b.ResetTimer()
				if callers == 1 {
					for i := 0; i < b.N; i++ {
						if _, _, err := e.Eval(expr, nil, bind); err != nil {
							b.Fatal(err)
						}
					}
					return
				}
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if _, _, err := e.Eval(expr, nil, bind); err != nil {
							b.Error(err)
							return
						}
					}
				})
			})
		}
	}
}
