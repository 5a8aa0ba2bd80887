package test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/snapshotlake/snapshotlake/simulator/asl"
)

// TestScale_100kObjectsStayFarBelowTheHistoryCap copies an export of 100,000
// declared-size data files (about a minute) through the synthesized state
// machines. Skipped with -short.
func TestScale_100kObjectsStayFarBelowTheHistoryCap(t *testing.T) {
	if testing.Short() {
		t.Skip("scale run skipped with -short")
	}
	r := simulate(t, example(t, "scale-100k"))
	require.Equal(t, "SUCCEEDED", r.Result.Status, r.Result.Cause)
	f := r.Result.Figures
	assert.Equal(t, f.ObjectsInExport+1, f.CopiedObjects, "every exported object copied, and one table manifest object")
	assert.GreaterOrEqual(t, f.CopiedObjects, 100_000)
	for _, rec := range r.Records {
		assert.Less(t, rec.HistoryEvents, asl.MaxHistoryEvents, "%s %s", rec.StateMachineName, rec.Name)
	}
	assert.Less(t, f.MaxStandardHistoryEvents, 1000, "Standard histories do not grow with the export")
	assert.Less(t, f.StandardTransitionsPerObject, 0.01, "billed Standard transitions per copied object")
	// AND the 20 tables are copied side by side, each listed by its own
	// ItemReader: the copy lands within 1.5× of S3's per-prefix bound (1.02×
	// measured; one export-wide listing made it 14.6×)
	require.Len(t, r.Result.Copies, 1)
	c := r.Result.Copies[0]
	assert.Zero(t, c.FailedChildren)
	assert.LessOrEqual(t, c.CopyOverBound, 1.5, "%+v", c)
	t.Logf("%d objects copied; largest Standard history %d events (largest of any execution %d); %d billed Standard transitions = %.5f per copied object; %d Express requests",
		f.CopiedObjects, f.MaxStandardHistoryEvents, f.MaxHistoryEvents, f.StandardTransitions, f.StandardTransitionsPerObject, f.ExpressRequests)
}
