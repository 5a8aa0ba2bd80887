package test

import (
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
