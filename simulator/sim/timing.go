package sim

import (
	"context"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/snapshotlake/snapshotlake/simulator/asl"
	"github.com/snapshotlake/snapshotlake/simulator/s3fake"
	"github.com/snapshotlake/snapshotlake/simulator/timing"
)

// timedIntegration gives the executor the simulated duration of each call:
// S3 calls take the time package timing assigns them (and may be
// throttled); RDS and EventBridge calls take none (assumption: they are
// short beside the copy and not on its critical path). It also notes when
// each export was first seen COMPLETE, where a copy's duration starts.
type timedIntegration struct {
	asl.IntegrationFunc
	s3    *s3fake.Fake
	calls *callCounter

	mu       sync.Mutex
	complete map[string]time.Time // export task id → first DescribeExportTasks seeing COMPLETE
}

func (t *timedIntegration) CallAt(ctx context.Context, now time.Time, service, action string, args map[string]any) (any, time.Duration, error) {
	if service == "s3" {
		t.calls.add(service + ":" + action)
		return t.s3.CallAt(ctx, now, action, args)
	}
	res, err := t.Call(ctx, service, action, args)
	if service == "rds" && action == "describeExportTasks" && err == nil {
		t.noteComplete(res, now)
	}
	return res, 0, err
}

func (t *timedIntegration) noteComplete(res any, now time.Time) {
	m, _ := res.(map[string]any)
	tasks, _ := m["ExportTasks"].([]any)
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, x := range tasks {
		task, _ := x.(map[string]any)
		id, _ := task["ExportTaskIdentifier"].(string)
		if task["Status"] == "COMPLETE" {
			if _, seen := t.complete[id]; !seen {
				t.complete[id] = now
			}
		}
	}
}

func (t *timedIntegration) completedAt(id string) (time.Time, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	at, ok := t.complete[id]
	return at, ok
}

// bucketKeyEnabled reads the S3 Bucket Key setting of the template's bucket
// named name (false for a bucket the template does not hold).
func bucketKeyEnabled(w world, name string) bool {
	for id, r := range w.Resources {
		if r["Type"] != "AWS::S3::Bucket" {
			continue
		}
		if n, err := w.Ref(id); err != nil || n != name {
			continue
		}
		props, _ := r["Properties"].(map[string]any)
		enc, _ := props["BucketEncryption"].(map[string]any)
		rules, _ := enc["ServerSideEncryptionConfiguration"].([]any)
		for _, rule := range rules {
			if m, _ := rule.(map[string]any); m["BucketKeyEnabled"] == true {
				return true
			}
		}
	}
	return false
}

// CopyFigures are the timing figures of one export's copy.
type CopyFigures struct {
	ExportTaskIdentifier string `json:"exportTaskIdentifier"`
	// ExportCompleted is when the export was first seen COMPLETE and
	// LastMarkerWritten when the copy wrote its last _SUCCESS marker (or,
	// without markers, its last object), in simulated time.
	ExportCompleted   time.Time `json:"exportCompleted"`
	LastMarkerWritten time.Time `json:"lastMarkerWritten"`
	// CopySeconds is LastMarkerWritten − ExportCompleted.
	CopySeconds float64 `json:"copySeconds"`
	// BoundSeconds is the shortest copy S3's per-prefix rates allow: the
	// accepted writes into the busiest destination prefix ÷ the write rate,
	// plus one request's latency and the transfer of its largest request.
	BoundSeconds float64 `json:"boundSeconds"`
	// BusiestPrefix and its WritesInBusiestPrefix.
	BusiestPrefix         string `json:"busiestPrefix"`
	WritesInBusiestPrefix int    `json:"writesInBusiestPrefix"`
	// CopyOverBound is CopySeconds ÷ BoundSeconds.
	CopyOverBound float64 `json:"copyOverBound"`
	// ThrottledRequests were answered 503 SlowDown (S3 or the KMS behind it).
	ThrottledRequests int `json:"throttledRequests"`
	KMSRequests       int `json:"kmsRequests"`
	// Retries are the Retry attempts of every execution of the run.
	Retries int `json:"retries"`
	// FailedChildren are Distributed Map children that did not succeed.
	FailedChildren int `json:"failedChildren"`
}

// copyFigures computes the timing figures of each export of the run. The
// S3 counts are the run's (one export per run in every scenario).
func (r *Run) copyFigures(ti *timedIntegration, m timing.Model, exportIDs []string) []CopyFigures {
	st := r.S3.TimingStats()
	var lastMarker, lastObject time.Time
	for _, o := range r.S3.Objects(r.DestinationBucket, "") {
		if o.LastModified.After(lastObject) {
			lastObject = o.LastModified
		}
		if strings.HasSuffix(o.Key, "/_SUCCESS") && o.LastModified.After(lastMarker) {
			lastMarker = o.LastModified
		}
	}
	if lastMarker.IsZero() {
		lastMarker = lastObject
	}
	busiest, writes := "", 0
	prefixes := make([]string, 0, len(st.Writes))
	for p := range st.Writes {
		prefixes = append(prefixes, p)
	}
	sort.Strings(prefixes)
	for _, p := range prefixes {
		if !strings.HasPrefix(p, r.DestinationBucket+"/") {
			continue
		}
		if n := st.Writes[p]; n > writes {
			busiest, writes = p, n
		}
	}
	throttled := 0
	for _, n := range st.Throttled {
		throttled += n
	}
	retries, failedChildren := 0, 0
	for _, rec := range r.Records {
		retries += rec.Retries
		if rec.MapRunARN != "" && rec.Status != asl.StatusSucceeded {
			failedChildren++
		}
	}
	out := []CopyFigures{}
	for _, id := range exportIDs {
		done, ok := ti.completedAt(id)
		if !ok {
			continue
		}
		f := CopyFigures{
			ExportTaskIdentifier: id, ExportCompleted: done, BusiestPrefix: busiest, WritesInBusiestPrefix: writes,
			ThrottledRequests: throttled + st.KMSThrottled, KMSRequests: st.KMSRequests,
			Retries: retries, FailedChildren: failedChildren,
			BoundSeconds: m.Bound(writes, st.LargestWrite).Seconds(),
		}
		if lastMarker.After(done) {
			f.LastMarkerWritten = lastMarker
			f.CopySeconds = lastMarker.Sub(done).Seconds()
		}
		if f.BoundSeconds > 0 {
			f.CopyOverBound = f.CopySeconds / f.BoundSeconds
		}
		out = append(out, f)
	}
	return out
}

// Progress is a snapshot of a running simulation.
type Progress struct {
	// Copied is the number of objects in the destination; Total the number
	// of objects in the export bucket (0 until the export has written them).
	Copied, Total int
	// Simulated is the simulated time since the run started.
	Simulated time.Duration
	// Throttled requests so far.
	Throttled int
}

// watch calls fn every interval of wall time until stop is closed.
func (r *Run) watch(exec *asl.Executor, began time.Time, interval time.Duration, fn func(Progress), stop <-chan struct{}) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			p := Progress{Copied: r.S3.Count(r.DestinationBucket), Total: r.S3.Count(r.ExportBucket)}
			if now := exec.Now(); now.After(began) {
				p.Simulated = now.Sub(began)
			}
			for _, n := range r.S3.TimingStats().Throttled {
				p.Throttled += n
			}
			fn(p)
		}
	}
}
