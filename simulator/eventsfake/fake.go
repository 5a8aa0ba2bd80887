package eventsfake

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/snapshotlake/snapshotlake/simulator/awserr"
	"github.com/snapshotlake/snapshotlake/simulator/fakeapi"
)

// Limits of PutEvents (EventBridge API reference, PutEvents; user guide,
// "Calculating PutEvents event entry size").
const (
	// MaxEntries is how many entries one PutEvents request takes.
	MaxEntries = 10
	// MaxEntryBytes is the largest entry: "The maximum size for a PutEvents
	// event entry is 256 KB", sized as EntrySize computes it.
	MaxEntryBytes = 256 * 1024
)

// Error names as Step Functions reports them for aws-sdk:eventbridge.
const (
	// ErrEventBridge is the generic exception of the service ("EventBridge.EventBridgeException").
	ErrEventBridge = "EventBridge.EventBridgeException"
)

// Per-entry error codes of PutEventsResultEntry. MalformedDetail and
// InvalidArgument are in the API reference's list of ErrorCode values;
// which one AWS gives an entry over 256 KB is not documented (README,
// unverified points): the fake answers InvalidArgument.
const (
	CodeMalformedDetail = "MalformedDetail"
	CodeInvalidArgument = "InvalidArgument"
)

// Event is an event a bus accepted.
type Event struct {
	// Bus is the ARN of the bus that accepted it.
	Bus        string
	Source     string
	DetailType string
	Detail     map[string]any
}

// Fake holds the buses of one account and Region and what they accepted.
type Fake struct {
	mu      sync.Mutex
	api     *fakeapi.Service
	account string
	region  string
	events  []Event
	// undelivered are accepted events not yet given to Deliver.
	undelivered []Event
	// Deliver, when set, is called (without the lock) for every accepted event.
	Deliver func(Event)
}

// New returns a Fake for the caller's account and Region; the default bus
// is "arn:aws:events:<region>:<account>:event-bus/default".
func New(account, region string) *Fake {
	f := &Fake{account: account, region: region}
	f.api = fakeapi.NewService("eventbridge", &f.mu, map[string]fakeapi.Handler{"putEvents": f.putEvents}, "EventBusName", "DetailType")
	return f
}

// Call answers aws-sdk:eventbridge:<action>.
func (f *Fake) Call(ctx context.Context, action string, args map[string]any) (any, error) {
	res, err := f.api.Call(ctx, action, args)
	if err != nil {
		return nil, err
	}
	// Drained on every call, so nothing piles up when no one listens.
	for _, e := range f.pending() {
		if f.Deliver != nil {
			f.Deliver(e)
		}
	}
	return res, nil
}

// AddFault makes matching calls fail.
func (f *Fake) AddFault(ft fakeapi.Fault) { f.api.AddFault(ft) }

// Calls counts the calls by "eventbridge:<action>".
func (f *Fake) Calls() map[string]int { return f.api.Calls() }

// Events returns the accepted events, in order.
func (f *Fake) Events() []Event {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Event(nil), f.events...)
}

// DefaultBus is the ARN of the caller's default bus.
func (f *Fake) DefaultBus() string {
	return fmt.Sprintf("arn:aws:events:%s:%s:event-bus/default", f.region, f.account)
}

func (f *Fake) pending() []Event {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := f.undelivered
	f.undelivered = nil
	return out
}

// EntrySize is the size EventBridge counts for an entry: Time 14 bytes when
// given, then the UTF-8 bytes of Source, DetailType, Detail and each of
// Resources (user guide, "Calculating PutEvents event entry size").
func EntrySize(entry map[string]any) int {
	n := 0
	if _, ok := entry["Time"]; ok {
		n += 14
	}
	for _, k := range []string{"Source", "DetailType", "Detail"} {
		if s, ok := entry[k].(string); ok {
			n += len(s) // Go strings are UTF-8
		}
	}
	if rs, ok := entry["Resources"].([]any); ok {
		for _, r := range rs {
			if s, ok := r.(string); ok {
				n += len(s)
			}
		}
	}
	return n
}

// putEvents: Entries (1 to 10) of Source, DetailType, Detail, EventBusName
// (name or ARN; default: the default bus), Resources, Time. A bad entry fails
// alone: it gets an ErrorCode and ErrorMessage, counts in FailedEntryCount,
// and the others are accepted, as PutEvents does.
func (f *Fake) putEvents(a *fakeapi.Args) (map[string]any, error) {
	raw, _ := a.Value("Entries").([]any)
	if a.Err() != nil {
		return nil, a.Err()
	}
	if len(raw) == 0 || len(raw) > MaxEntries {
		return nil, awserr.New(ErrEventBridge, "1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length between 1 and %d (Service: EventBridge, Status Code: 400)", MaxEntries)
	}
	failed := 0
	results := make([]any, 0, len(raw))
	for i, r := range raw {
		entry, ok := r.(map[string]any)
		if !ok {
			return nil, awserr.New(fakeapi.ErrInvalidCall, "eventbridge:putEvents: Entries[%d] must be an object", i)
		}
		code, msg := f.check(entry)
		if code != "" {
			failed++
			results = append(results, map[string]any{"ErrorCode": code, "ErrorMessage": msg})
			continue
		}
		var detail map[string]any
		_ = json.Unmarshal([]byte(entry["Detail"].(string)), &detail)
		e := Event{Bus: f.busARN(entry), Source: entry["Source"].(string), DetailType: entry["DetailType"].(string), Detail: detail}
		f.events = append(f.events, e)
		f.undelivered = append(f.undelivered, e)
		results = append(results, map[string]any{"EventId": fmt.Sprintf("%08x-0000-4000-8000-%012x", len(f.events), i)})
	}
	return map[string]any{"FailedEntryCount": float64(failed), "Entries": results}, nil
}

func (f *Fake) check(entry map[string]any) (code, msg string) {
	source, _ := entry["Source"].(string)
	detailType, _ := entry["DetailType"].(string)
	detail, hasDetail := entry["Detail"].(string)
	switch {
	case source == "" || detailType == "" || !hasDetail:
		return CodeInvalidArgument, "Parameters Source, DetailType and Detail are required"
	case !utf8.ValidString(detail) || !isJSONObject(detail):
		return CodeMalformedDetail, "Detail is malformed."
	}
	if n := EntrySize(entry); n > MaxEntryBytes {
		return CodeInvalidArgument, fmt.Sprintf("Event size %d bytes exceeds the maximum of %d bytes", n, MaxEntryBytes)
	}
	return "", ""
}

func isJSONObject(s string) bool {
	var v map[string]any
	return json.Unmarshal([]byte(s), &v) == nil && v != nil
}

// busARN resolves an entry's EventBusName (a name or an ARN).
func (f *Fake) busARN(entry map[string]any) string {
	name, _ := entry["EventBusName"].(string)
	switch {
	case name == "" || name == "default":
		return f.DefaultBus()
	case strings.HasPrefix(name, "arn:"):
		return name
	}
	return fmt.Sprintf("arn:aws:events:%s:%s:event-bus/%s", f.region, f.account, name)
}
