package eventsfake

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/snapshotlake/snapshotlake/simulator/awserr"
	"github.com/snapshotlake/snapshotlake/simulator/fakeapi"
)

func entry(detail string) map[string]any {
	return map[string]any{"Source": "snapshotlake", "DetailType": "RDS Snapshot Export Copied", "Detail": detail}
}

func put(t *testing.T, f *Fake, entries ...map[string]any) (map[string]any, error) {
	t.Helper()
	list := make([]any, len(entries))
	for i, e := range entries {
		list[i] = e
	}
	out, err := f.Call(context.Background(), "putEvents", map[string]any{"Entries": list})
	if err != nil {
		return nil, err
	}
	return out.(map[string]any), nil
}

func TestPutEvents_acceptsEntriesOnTheirBuses(t *testing.T) {
	f := New("111122223333", "eu-west-1")
	var delivered []Event
	f.Deliver = func(e Event) { delivered = append(delivered, e) }
	other := "arn:aws:events:eu-west-1:444455556666:event-bus/snapshotlake"
	e2 := entry(`{"n":2}`)
	e2["EventBusName"] = other
	res, err := put(t, f, entry(`{"n":1}`), e2)
	require.NoError(t, err)
	assert.EqualValues(t, 0, res["FailedEntryCount"])
	require.Len(t, f.Events(), 2)
	assert.Equal(t, "arn:aws:events:eu-west-1:111122223333:event-bus/default", f.Events()[0].Bus)
	assert.Equal(t, other, f.Events()[1].Bus)
	assert.EqualValues(t, 2, f.Events()[1].Detail["n"])
	assert.Len(t, delivered, 2)
}

func TestPutEvents_refusesAnEntryOver256KBAlone(t *testing.T) {
	// GIVEN one entry just at the limit and one a byte over it
	base := EntrySize(entry(`{"x":""}`))
	at := entry(`{"x":"` + strings.Repeat("a", MaxEntryBytes-base) + `"}`)
	over := entry(`{"x":"` + strings.Repeat("a", MaxEntryBytes-base+1) + `"}`)
	require.Equal(t, MaxEntryBytes, EntrySize(at))
	f := New("111122223333", "eu-west-1")
	// WHEN both are put THEN only the larger fails, with an ErrorCode
	res, err := put(t, f, at, over)
	require.NoError(t, err)
	assert.EqualValues(t, 1, res["FailedEntryCount"])
	results := res["Entries"].([]any)
	assert.Contains(t, results[0], "EventId")
	assert.Equal(t, CodeInvalidArgument, results[1].(map[string]any)["ErrorCode"])
	assert.Contains(t, results[1].(map[string]any)["ErrorMessage"], "262145 bytes")
	assert.Len(t, f.Events(), 1)
}

func TestPutEvents_entrySizeCountsTimeAndResources(t *testing.T) {
	e := entry(`{}`)
	e["Time"] = 1.7e9
	e["Resources"] = []any{"arn:a", "ü"}
	assert.Equal(t, 14+len("snapshotlake")+len("RDS Snapshot Export Copied")+2+5+2, EntrySize(e))
}

func TestPutEvents_badRequestsAndDetails(t *testing.T) {
	f := New("111122223333", "eu-west-1")
	_, err := put(t, f)
	assert.Equal(t, ErrEventBridge, awserr.As(err).Name)
	res, err := put(t, f, entry(`not json`))
	require.NoError(t, err)
	assert.Equal(t, CodeMalformedDetail, res["Entries"].([]any)[0].(map[string]any)["ErrorCode"])
	f.AddFault(fakeapi.Fault{Action: "putEvents", Error: "EventBridge.InternalException", Cause: "boom", Times: 1})
	_, err = put(t, f, entry(`{}`))
	assert.Equal(t, "EventBridge.InternalException", awserr.As(err).Name)
	assert.Equal(t, 3, f.Calls()["eventbridge:putEvents"])
}
