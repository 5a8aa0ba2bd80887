package asl

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
)

// smDef is a parsed, validated state machine (or Parallel branch, or Map
// ItemProcessor).
type smDef struct {
	startAt        string
	states         map[string]*stateDef
	timeoutSeconds int // top level only; 0 = none
}

type stateDef struct {
	name string
	kind stateKind
	next string
	end  bool

	output *tmpl // nil: default output
	assign *tmpl // nil: no Assign

	// Task
	resource  *resource
	arguments *tmpl
	timeout   *tmpl // TimeoutSeconds
	heartbeat *tmpl // HeartbeatSeconds: checked, not enforced
	retry     []*retrier
	catch     []*catcher

	// Choice
	choices     []*choiceRule
	defaultNext string

	// Wait
	seconds   *tmpl
	timestamp *tmpl

	// Fail
	errorT *tmpl
	causeT *tmpl

	// Parallel
	branches []*smDef

	// Map
	items          *tmpl
	itemSelector   *tmpl
	maxConcurrency *tmpl
	processor      *smDef
	distributed    bool
	execType       string
	reader         *itemReader
	batcher        *itemBatcher
	tolCount       *tmpl
	tolPct         *tmpl
	label          string
}

type retrier struct {
	errorEquals []string
	interval    float64
	maxAttempts int
	backoff     float64
	maxDelay    float64 // 0 = none
	jitter      bool    // JitterStrategy FULL
}

type catcher struct {
	errorEquals []string
	next        string
	output      *tmpl
	assign      *tmpl
}

type choiceRule struct {
	condition *tmpl
	next      string
	output    *tmpl
	assign    *tmpl
}

type itemReader struct {
	args     *tmpl
	maxItems *tmpl
	// json is set for arn:aws:states:::s3:getObject with InputType JSON:
	// the items are the array at pointer in the object's JSON.
	json      bool
	jsonTyped bool // ReaderConfig.InputType was given
	pointer   string
}

type itemBatcher struct {
	maxItems   *tmpl
	maxBytes   *tmpl
	batchInput *tmpl
}

type resourceKind int

const (
	resSDK resourceKind = iota
	resStartExecution
	resStartExecutionSync
	resStartExecutionSync2
)

type resource struct {
	kind    resourceKind
	arn     string
	service string // resSDK
	action  string // resSDK
}

var (
	sdkResource    = regexp.MustCompile(`^arn:[a-z-]+:states:::aws-sdk:([A-Za-z0-9-]+):([A-Za-z0-9]+)$`)
	sfnResource    = regexp.MustCompile(`^arn:[a-z-]+:states:::states:startExecution(\.sync(:2)?)?$`)
	listV2Resource = regexp.MustCompile(`^arn:[a-z-]+:states:::s3:listObjectsV2$`)
)

// toJSONMap turns a definition given as []byte, string, json.RawMessage or a
// decoded map into a map of plain JSON values.
func toJSONMap(definition any) (map[string]any, error) {
	var raw []byte
	switch d := definition.(type) {
	case []byte:
		raw = d
	case json.RawMessage:
		raw = d
	case string:
		raw = []byte(d)
	default:
		b, err := json.Marshal(d)
		if err != nil {
			return nil, fmt.Errorf("asl: definition is not JSON: %w", err)
		}
		raw = b
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("asl: definition is not a JSON object: %w", err)
	}
	return m, nil
}

// parser validates a whole definition; names collects every state name, which
// must be unique in the whole state machine.
type parser struct {
	typ   string
	names map[string]string // name -> path where declared
}

// parseDefinition validates a definition for a state machine of type typ.
func parseDefinition(m map[string]any, typ string) (*smDef, error) {
	p := &parser{typ: typ, names: map[string]string{}}
	if err := allowedKeys(m, "state machine", "StartAt", "States", "QueryLanguage", "TimeoutSeconds", "Comment", "Version"); err != nil {
		return nil, err
	}
	ql := "JSONPath"
	if v, ok := m["QueryLanguage"]; ok {
		s, _ := v.(string)
		if s != "JSONata" && s != "JSONPath" {
			return nil, fmt.Errorf("asl: QueryLanguage must be \"JSONata\" or \"JSONPath\", got %v", v)
		}
		ql = s
	}
	def, err := p.parseMachine(m, ql, "")
	if err != nil {
		return nil, err
	}
	if v, ok := m["TimeoutSeconds"]; ok {
		n, ok := intValue(v)
		if !ok || n <= 0 {
			return nil, fmt.Errorf("asl: TimeoutSeconds must be a positive integer, got %v", v)
		}
		def.timeoutSeconds = n
	}
	return def, nil
}

func (p *parser) parseMachine(m map[string]any, ql, path string) (*smDef, error) {
	where := "state machine"
	if path != "" {
		where = path
	}
	startAt, _ := m["StartAt"].(string)
	if startAt == "" {
		return nil, fmt.Errorf("asl: %s: StartAt is required", where)
	}
	states, ok := m["States"].(map[string]any)
	if !ok || len(states) == 0 {
		return nil, fmt.Errorf("asl: %s: States must be a non-empty object", where)
	}
	if v, ok := m["QueryLanguage"]; ok && path != "" {
		s, _ := v.(string)
		if s != "JSONata" && s != "JSONPath" {
			return nil, fmt.Errorf("asl: %s: QueryLanguage must be \"JSONata\" or \"JSONPath\"", where)
		}
		ql = s
	}
	def := &smDef{startAt: startAt, states: map[string]*stateDef{}}
	names := make([]string, 0, len(states))
	for n := range states {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		sm, ok := states[n].(map[string]any)
		if !ok {
			return nil, fmt.Errorf("asl: state %q: not an object", n)
		}
		if prev, dup := p.names[n]; dup {
			return nil, fmt.Errorf("asl: state %q: name already used (in %s); state names must be unique in the state machine", n, prev)
		}
		p.names[n] = where
		if len(n) == 0 || len(n) > 80 {
			return nil, fmt.Errorf("asl: state %q: names must be 1 to 80 characters", n)
		}
		st, err := p.parseState(n, sm, ql)
		if err != nil {
			return nil, err
		}
		def.states[n] = st
	}
	if _, ok := def.states[startAt]; !ok {
		return nil, fmt.Errorf("asl: %s: StartAt %q is not a state", where, startAt)
	}
	// Transitions must target states of the same States object, and every
	// state must be reachable from StartAt.
	for _, n := range names {
		st := def.states[n]
		for _, t := range st.targets() {
			if _, ok := def.states[t]; !ok {
				return nil, fmt.Errorf("asl: state %q: transition to unknown state %q", n, t)
			}
		}
	}
	reached := map[string]bool{}
	todo := []string{startAt}
	for len(todo) > 0 {
		n := todo[len(todo)-1]
		todo = todo[:len(todo)-1]
		if reached[n] {
			continue
		}
		reached[n] = true
		todo = append(todo, def.states[n].targets()...)
	}
	for _, n := range names {
		if !reached[n] {
			return nil, fmt.Errorf("asl: state %q: not reachable from StartAt %q", n, startAt)
		}
	}
	return def, nil
}

func (st *stateDef) targets() []string {
	var t []string
	if st.next != "" {
		t = append(t, st.next)
	}
	for _, c := range st.choices {
		t = append(t, c.next)
	}
	if st.defaultNext != "" {
		t = append(t, st.defaultNext)
	}
	for _, c := range st.catch {
		t = append(t, c.next)
	}
	return t
}

var jsonPathOnly = []string{"InputPath", "OutputPath", "Parameters", "ResultPath", "ResultSelector", "ItemsPath", "Result", "ErrorPath", "CausePath", "SecondsPath", "TimestampPath", "TimeoutSecondsPath", "HeartbeatSecondsPath", "Iterator"}

// stateKind is a state's Type.
type stateKind uint8

// State types of the Amazon States Language.
const (
	kindPass stateKind = iota + 1
	kindTask
	kindChoice
	kindWait
	kindSucceed
	kindFail
	kindParallel
	kindMap
)

// kindSpec is a state type's name and the fields it allows besides Type,
// Comment and QueryLanguage.
type kindSpec struct {
	name   string
	fields []string
}

var kindSpecs = map[stateKind]kindSpec{
	kindPass:     {"Pass", []string{"Next", "End", "Output", "Assign"}},
	kindTask:     {"Task", []string{"Next", "End", "Output", "Assign", "Resource", "Arguments", "Retry", "Catch", "TimeoutSeconds", "HeartbeatSeconds"}},
	kindChoice:   {"Choice", []string{"Choices", "Default", "Output", "Assign"}},
	kindWait:     {"Wait", []string{"Next", "End", "Output", "Assign", "Seconds", "Timestamp"}},
	kindSucceed:  {"Succeed", []string{"Output"}},
	kindFail:     {"Fail", []string{"Error", "Cause"}},
	kindParallel: {"Parallel", []string{"Next", "End", "Output", "Assign", "Arguments", "Branches", "Retry", "Catch"}},
	kindMap:      {"Map", []string{"Next", "End", "Output", "Assign", "Items", "ItemSelector", "ItemProcessor", "MaxConcurrency", "ItemReader", "ItemBatcher", "ResultWriter", "ToleratedFailurePercentage", "ToleratedFailureCount", "Label", "Retry", "Catch"}},
}

// String is the Type as written in ASL, and as history event names start.
func (k stateKind) String() string { return kindSpecs[k].name }

// retries reports whether the type has Retry and Catch (and
// $states.context.State.RetryCount).
func (k stateKind) retries() bool { return k == kindTask || k == kindParallel || k == kindMap }

func kindOf(typ string) (stateKind, bool) {
	for k, s := range kindSpecs {
		if s.name == typ {
			return k, true
		}
	}
	return 0, false
}

// stateParser parses one state's fields into st.
type stateParser struct {
	p  *parser
	st *stateDef
	m  map[string]any
	ql string // effective QueryLanguage
}

func (sp *stateParser) fail(format string, a ...any) error {
	return fmt.Errorf("asl: state %q: %s", sp.st.name, fmt.Sprintf(format, a...))
}

// comp compiles field (nil when absent).
func (sp *stateParser) comp(field string) (*tmpl, error) {
	v, ok := sp.m[field]
	if !ok {
		return nil, nil
	}
	t, err := compile(v)
	if err != nil {
		return nil, sp.fail("%s: %v", field, err)
	}
	return t, nil
}
