package test

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/snapshotlake/snapshotlake/simulator/asl"
	"github.com/snapshotlake/snapshotlake/simulator/sim"
)

// The demo's copy has a simulated duration that starts when the export is
// COMPLETE and ends at the last marker, a bound, and no throttling; every
// execution carries simulated start and stop dates.
func TestTiming_demoCopyHasDurationAndBound(t *testing.T) {
	r := simulate(t, sim.Scenario{})
	require.Equal(t, "SUCCEEDED", r.Result.Status, r.Result.Cause)
	require.Len(t, r.Result.Copies, 1)
	c := r.Result.Copies[0]
	assert.True(t, c.LastMarkerWritten.After(c.ExportCompleted), "%+v", c)
	assert.Greater(t, c.CopySeconds, 0.0)
	assert.Greater(t, c.BoundSeconds, 0.0)
	assert.Zero(t, c.ThrottledRequests)
	assert.Zero(t, c.FailedChildren)
	for _, e := range r.Result.Executions {
		assert.False(t, e.StopDate.Before(e.StartDate), "%s %s", e.StateMachine, e.Name)
	}
}

// An Express child that runs past 5 minutes (copies slowed to 0.05 MiB/s:
// a batch of 100 files of 4 MiB, 20 at a time, needs 5 × 80 s) times out with
// States.Timeout at the 5-minute mark, and the export fails.
func TestTiming_expressChildPastFiveMinutesTimesOut(t *testing.T) {
	r := simulate(t, example(t, "express-timeout"))
	assert.NotEqual(t, "SUCCEEDED", r.Result.Status)
	timedOut := 0
	for _, rec := range r.Records {
		if rec.MapRunARN != "" && rec.Status == asl.StatusTimedOut {
			timedOut++
			assert.Equal(t, asl.ErrTimeout, rec.Error)
			assert.Equal(t, asl.ExpressMaxDuration, rec.StopDate.Sub(rec.StartDate))
		}
	}
	assert.Positive(t, timedOut, "an Express child timed out")
}

// One hot table prefix with S3 at 350 writes/s (a tenth of its documented
// 3,500, so that 20,000 objects show what 200,000 would): the earlier
// defaults (MaxConcurrency 1,000, 8 attempts) ran a child out of attempts and
// failed the export; the current ones copy everything, about 1.4× the bound.
func TestTiming_hotPrefixThrottlingIsRiddenOut(t *testing.T) {
	if testing.Short() {
		t.Skip("throttling run skipped with -short")
	}
	r := simulate(t, example(t, "throttled-hot-prefix"))
	require.Equal(t, "SUCCEEDED", r.Result.Status, r.Result.Cause)
	c := r.Result.Copies[0]
	assert.Positive(t, c.ThrottledRequests, "S3 throttled")
	assert.Zero(t, c.FailedChildren)
	// Runs differ with the order in which goroutines reach S3's token bucket
	// at one simulated instant: ten runs of this scenario measured 1.29-1.47.
	assert.LessOrEqual(t, c.CopyOverBound, 1.6, "%+v", c)
	assert.GreaterOrEqual(t, r.Result.Figures.CopiedObjects, r.Result.Figures.ObjectsInExport, "every exported object copied (and the table manifest written)")
}

// The same hot prefix with the copy's earlier defaults put back into the
// synthesized table machine (1,000 children of 500 objects, 40 copies at once
// in each, 8 attempts: commit 1513ee8 and before) fails the export: a child
// runs out of attempts on SlowDown, and the Map tolerates no failed child.
func TestTiming_hotPrefixFailsWithEarlierDefaults(t *testing.T) {
	if testing.Short() {
		t.Skip("throttling run skipped with -short")
	}
	sc := example(t, "throttled-hot-prefix")
	sc.Context = map[string]any{"maxConcurrency": "1000"}
	app := withEarlierCopyDefaults(t, simApp(t, sc.Context))
	r, err := sim.Execute(context.Background(), app, sc, sim.Options{Evaluator: sharedEvaluator(t)})
	require.NoError(t, err)
	assert.NotEqual(t, "SUCCEEDED", r.Result.Status)
	require.Len(t, r.Result.Copies, 1)
	assert.Positive(t, r.Result.Copies[0].FailedChildren, "%+v", r.Result.Copies[0])
	slowDown := 0
	for _, rec := range r.Records {
		if rec.Type == asl.TypeExpress && rec.Status == asl.StatusFailed && rec.Error == "S3.S3Exception" && strings.Contains(rec.Cause, "Status Code: 503") {
			slowDown++
		}
	}
	assert.Positive(t, slowDown, "an Express child failed on SlowDown after its last attempt")
}

// withEarlierCopyDefaults returns a copy of app whose table copy machine has
// the defaults the copy had before it was tuned against the timing model.
func withEarlierCopyDefaults(t *testing.T, app *sim.App) *sim.App {
	t.Helper()
	// The current values, each followed by what ends a JSON number.
	earlier := regexp.MustCompile(`"(MaxItemsPerBatch":100|MaxConcurrency":20|MaxAttempts":12)([,}])`)
	was := map[string]string{`MaxItemsPerBatch":100`: `MaxItemsPerBatch":500`, `MaxConcurrency":20`: `MaxConcurrency":40`, `MaxAttempts":12`: `MaxAttempts":8`}
	out := *app
	out.Templates = map[string]map[string]any{}
	changed := 0
	for stack, tpl := range app.Templates {
		b, err := json.Marshal(tpl)
		require.NoError(t, err)
		var copied map[string]any
		require.NoError(t, json.Unmarshal(b, &copied))
		out.Templates[stack] = copied
		machine, ok := copied["Resources"].(map[string]any)[app.Wiring[stack].TableMachine].(map[string]any)
		if !ok {
			continue
		}
		def := machine["Properties"].(map[string]any)["DefinitionString"].(map[string]any)
		parts := def["Fn::Join"].([]any)[1].([]any)
		for i, p := range parts {
			if s, ok := p.(string); ok {
				parts[i] = earlier.ReplaceAllStringFunc(s, func(m string) string {
					changed++
					sub := earlier.FindStringSubmatch(m)
					return `"` + was[sub[1]] + sub[2]
				})
			}
		}
	}
	require.Equal(t, 6, changed, "the table machine's data and marker passes hold the current defaults")
	return &out
}
