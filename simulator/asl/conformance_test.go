package asl

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/snapshotlake/snapshotlake/simulator/awserr"
)

// TestAWSRecordedExecutions replays the executions recorded on real AWS Step
// Functions kept beside the project in ../shared/conformance/cases (format:
// ../shared/conformance/README.md; the project does not hold that data). Each
// case must end as AWS recorded it: status, output, error, cause, and the
// AWS-generated cause kept in expect_info.cause_recorded. CONFORMANCE_DIR
// overrides the directory.
func TestAWSRecordedExecutions(t *testing.T) {
	dir := os.Getenv("CONFORMANCE_DIR")
	if dir == "" {
		root, err := moduleRoot()
		if err != nil {
			t.Fatal(err)
		}
		dir = filepath.Join(root, "..", "shared", "conformance", "cases")
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	if len(files) == 0 {
		t.Skipf("no AWS-recorded executions in %s (the corpus lives beside the project, in ../shared/conformance)", dir)
	}
	sort.Strings(files)
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var c recordedCase
			if err := json.Unmarshal(b, &c); err != nil || len(c.Definition) == 0 || c.Expect.Status == "" {
				t.Fatalf("bad case file (definition and expect.status are required): %v", err)
			}
			for _, d := range c.check(name) {
				t.Error(d)
			}
		})
	}
}

// moduleRoot is the directory holding go.mod, above the working directory.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the working directory")
		}
		dir = parent
	}
}

type recordedCase struct {
	Definition json.RawMessage `json:"definition"`
	Input      json.RawMessage `json:"input"`
	Expect     struct {
		Status string          `json:"status"`
		Output json.RawMessage `json:"output"`
		Error  json.RawMessage `json:"error"` // absent: not compared; null: none
		Cause  json.RawMessage `json:"cause"`
	} `json:"expect"`
	Info struct {
		CauseRecorded *string `json:"cause_recorded"`
	} `json:"expect_info"`
	Integ []recordedCall `json:"integration"`
}

// recordedCall is one aws-sdk answer replayed from the recorded history, in
// call order per service:action; Echo returns the call's arguments.
type recordedCall struct {
	Service   string          `json:"service"`
	Action    string          `json:"action"`
	Arguments json.RawMessage `json:"arguments"`
	Error     string          `json:"error"`
	Cause     string          `json:"cause"`
	Output    json.RawMessage `json:"output"`
	Echo      bool            `json:"echo"`
}

type replay struct {
	mu    sync.Mutex
	queue map[string][]recordedCall
}

func (r *replay) Call(_ context.Context, service, action string, args map[string]any) (any, error) {
	k := service + ":" + action
	r.mu.Lock()
	defer r.mu.Unlock()
	q := r.queue[k]
	if len(q) == 0 {
		return nil, awserr.New("Conformance.NoRecordedResponse", "no AWS-recorded response for aws-sdk %s", k)
	}
	x := q[0]
	r.queue[k] = q[1:]
	if len(x.Arguments) > 0 {
		var want any
		_ = json.Unmarshal(x.Arguments, &want)
		if got := normalizedJSON(args); !matches(want, got) {
			return nil, awserr.New("Conformance.ArgumentsMismatch", "aws-sdk %s called with %s, AWS recorded %s", k, jsonString(got), string(x.Arguments))
		}
	}
	switch {
	case x.Error != "":
		return nil, awserr.New(x.Error, "%s", x.Cause)
	case x.Echo:
		return args, nil
	}
	var out any
	err := json.Unmarshal(x.Output, &out)
	return out, err
}

// check runs the case and returns what differs from the recording.
func (c *recordedCase) check(name string) []string {
	smName := regexp.MustCompile(`[^A-Za-z0-9_-]`).ReplaceAllString(name, "-")
	if len(smName) > 80 {
		smName = smName[:80]
	}
	smArn := "arn:aws:states:us-east-1:111111111111:stateMachine:" + smName
	vars := strings.NewReplacer(
		"${STATE_MACHINE_ARN}", smArn, "${STATE_MACHINE_NAME}", smName,
		"${EXECUTION_NAME}", "conformance-run",
		"${EXECUTION_ARN}", "arn:aws:states:us-east-1:111111111111:execution:"+smName+":conformance-run")
	r := &replay{queue: map[string][]recordedCall{}}
	for _, x := range c.Integ {
		r.queue[x.Service+":"+x.Action] = append(r.queue[x.Service+":"+x.Action], x)
	}
	ex := New(r, FromJSONata(bridge), WithClock(func() time.Time { return time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC) }),
		WithRoleArn("arn:aws:iam::111111111111:role/conformance"))
	if err := ex.Register(smArn, []byte(c.Definition), TypeStandard); err != nil {
		return []string{"Register: " + err.Error()}
	}
	var input any = map[string]any{}
	if len(c.Input) > 0 {
		_ = json.Unmarshal(c.Input, &input)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	x, err := ex.Start(ctx, smArn, "conformance-run", input)
	if err != nil {
		return []string{"Start: " + err.Error()}
	}
	if string(x.Status) != c.Expect.Status {
		return []string{fmt.Sprintf("status %s (%s: %s), AWS recorded %s", x.Status, x.Error, x.Cause, c.Expect.Status)}
	}
	var diffs []string
	if x.Status == StatusSucceeded && len(c.Expect.Output) > 0 {
		var want any
		_ = json.Unmarshal([]byte(vars.Replace(string(c.Expect.Output))), &want)
		if got := normalizedJSON(x.Output); !matches(want, got) {
			diffs = append(diffs, fmt.Sprintf("output %s, AWS recorded %s", jsonString(got), jsonString(want)))
		}
	}
	compare := func(what, got string, raw json.RawMessage) {
		if len(raw) == 0 {
			return
		}
		var want *string
		_ = json.Unmarshal(raw, &want)
		if want == nil {
			want = new(string)
		}
		if got != *want {
			diffs = append(diffs, fmt.Sprintf("%s %q, AWS recorded %q", what, got, *want))
		}
	}
	compare("error", x.Error, c.Expect.Error)
	compare("cause", x.Cause, c.Expect.Cause)
	if rc := c.Info.CauseRecorded; rc != nil && x.Cause != *rc {
		diffs = append(diffs, fmt.Sprintf("cause %q, AWS recorded %q", x.Cause, *rc))
	}
	return diffs
}

func normalizedJSON(v any) any {
	n, _, err := normalize(v)
	if err != nil {
		return fmt.Sprintf("not JSON: %v", err)
	}
	return n
}

var isoTimestamp = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:?\d{2})$`)

// matches compares a recorded value with got; "<<ANY_STRING>>" and
// "<<ISO8601>>" stand for values the recording replaced by placeholders.
func matches(want, got any) bool {
	switch w := want.(type) {
	case string:
		g, ok := got.(string)
		switch w {
		case "<<ANY_STRING>>":
			return ok
		case "<<ISO8601>>":
			return ok && isoTimestamp.MatchString(g)
		}
		return ok && g == w
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok || len(g) != len(w) {
			return false
		}
		for k, wv := range w {
			if gv, has := g[k]; !has || !matches(wv, gv) {
				return false
			}
		}
		return true
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return false
		}
		for i := range w {
			if !matches(w[i], g[i]) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(want, got)
}
