package asl

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strings"
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

func (p *parser) parseState(name string, m map[string]any, ql string) (*stateDef, error) {
	sp := &stateParser{p: p, st: &stateDef{name: name}, m: m, ql: ql}
	if v, ok := m["QueryLanguage"]; ok {
		s, _ := v.(string)
		if s != "JSONata" && s != "JSONPath" {
			return nil, sp.fail("QueryLanguage must be \"JSONata\" or \"JSONPath\"")
		}
		sp.ql = s
	}
	if sp.ql != "JSONata" {
		return nil, sp.fail("QueryLanguage is JSONPath; this executor runs JSONata states only (set \"QueryLanguage\": \"JSONata\")")
	}
	for _, k := range jsonPathOnly {
		if _, ok := m[k]; ok {
			return nil, sp.fail("field %s is not allowed in a JSONata state", k)
		}
	}
	typ, _ := m["Type"].(string)
	if typ == "" {
		return nil, sp.fail("Type is required")
	}
	kind, ok := kindOf(typ)
	if !ok {
		return nil, sp.fail("unknown Type %q", typ)
	}
	sp.st.kind = kind
	spec := kindSpecs[kind]
	for k := range m {
		if !contains([]string{"Type", "Comment", "QueryLanguage"}, k) && !contains(spec.fields, k) {
			return nil, sp.fail("field %s is not allowed in a %s state", k, typ)
		}
	}
	if contains(spec.fields, "Next") {
		if err := sp.parseTransition(); err != nil {
			return nil, err
		}
	}
	var err error
	if sp.st.output, err = sp.comp("Output"); err != nil {
		return nil, err
	}
	if sp.st.assign, err = sp.p.parseAssign(m, sp.fail); err != nil {
		return nil, err
	}
	switch kind {
	case kindTask:
		err = sp.parseTask()
	case kindChoice:
		err = sp.parseChoice()
	case kindWait:
		err = sp.parseWait()
	case kindFail:
		err = sp.parseFail()
	case kindParallel:
		err = sp.parseParallel()
	case kindMap:
		err = sp.parseMap()
	}
	if err != nil {
		return nil, err
	}
	if kind.retries() {
		if sp.st.retry, err = parseRetry(m["Retry"], sp.fail); err != nil {
			return nil, err
		}
		if sp.st.catch, err = p.parseCatch(m["Catch"], sp.fail); err != nil {
			return nil, err
		}
	}
	return sp.st, nil
}

// parseTransition reads Next or End.
func (sp *stateParser) parseTransition() error {
	st := sp.st
	if next, ok := sp.m["Next"]; ok {
		s, ok := next.(string)
		if !ok || s == "" {
			return sp.fail("Next must be a state name")
		}
		st.next = s
	}
	if end, ok := sp.m["End"]; ok {
		b, ok := end.(bool)
		if !ok {
			return sp.fail("End must be a boolean")
		}
		st.end = b
	}
	if st.next != "" && st.end {
		return sp.fail("Next and End are mutually exclusive")
	}
	if st.next == "" && !st.end {
		return sp.fail("needs Next or \"End\": true")
	}
	return nil
}

func (sp *stateParser) parseTask() error {
	st := sp.st
	res, _ := sp.m["Resource"].(string)
	var err error
	if st.resource, err = sp.p.parseResource(res); err != nil {
		return sp.fail("%v", err)
	}
	if st.arguments, err = sp.comp("Arguments"); err != nil {
		return err
	}
	if st.timeout, err = sp.p.positiveIntField(sp.m, "TimeoutSeconds", sp.fail); err != nil {
		return err
	}
	st.heartbeat, err = sp.p.positiveIntField(sp.m, "HeartbeatSeconds", sp.fail)
	return err
}

func (sp *stateParser) parseChoice() error {
	st := sp.st
	rules, ok := sp.m["Choices"].([]any)
	if !ok || len(rules) == 0 {
		return sp.fail("Choices must be a non-empty array")
	}
	for i, r := range rules {
		rm, ok := r.(map[string]any)
		if !ok {
			return sp.fail("Choices[%d]: not an object", i)
		}
		if err := allowedKeys(rm, fmt.Sprintf("state %q: Choices[%d]", st.name, i), "Condition", "Next", "Output", "Assign", "Comment"); err != nil {
			return err
		}
		rule := &choiceRule{}
		rule.next, _ = rm["Next"].(string)
		if rule.next == "" {
			return sp.fail("Choices[%d]: Next is required", i)
		}
		cond, ok := rm["Condition"]
		if !ok {
			return sp.fail("Choices[%d]: Condition is required (JSONata Choice rules use Condition)", i)
		}
		if _, isBool := cond.(bool); !isBool {
			if s, _ := cond.(string); !isExpr(s) {
				return sp.fail("Choices[%d]: Condition must be a {%% %%} JSONata expression or a boolean", i)
			}
		}
		var err error
		if rule.condition, err = compile(cond); err != nil {
			return sp.fail("Choices[%d].Condition: %v", i, err)
		}
		if o, ok := rm["Output"]; ok {
			if rule.output, err = compile(o); err != nil {
				return sp.fail("Choices[%d].Output: %v", i, err)
			}
		}
		if rule.assign, err = sp.p.parseAssign(rm, func(f string, a ...any) error {
			return sp.fail("Choices[%d]: %s", i, fmt.Sprintf(f, a...))
		}); err != nil {
			return err
		}
		st.choices = append(st.choices, rule)
	}
	if d, ok := sp.m["Default"]; ok {
		s, ok := d.(string)
		if !ok || s == "" {
			return sp.fail("Default must be a state name")
		}
		st.defaultNext = s
	}
	return nil
}

func (sp *stateParser) parseWait() error {
	_, hasS := sp.m["Seconds"]
	_, hasT := sp.m["Timestamp"]
	if hasS == hasT {
		return sp.fail("exactly one of Seconds and Timestamp is required")
	}
	var err error
	if hasS {
		sp.st.seconds, err = sp.p.positiveIntField(sp.m, "Seconds", sp.fail)
	} else {
		sp.st.timestamp, err = sp.comp("Timestamp")
	}
	return err
}

func (sp *stateParser) parseFail() error {
	var err error
	if sp.st.errorT, err = sp.comp("Error"); err != nil {
		return err
	}
	sp.st.causeT, err = sp.comp("Cause")
	return err
}

func (sp *stateParser) parseParallel() error {
	st := sp.st
	var err error
	if st.arguments, err = sp.comp("Arguments"); err != nil {
		return err
	}
	brs, ok := sp.m["Branches"].([]any)
	if !ok || len(brs) == 0 {
		return sp.fail("Branches must be a non-empty array")
	}
	for i, b := range brs {
		bm, ok := b.(map[string]any)
		if !ok {
			return sp.fail("Branches[%d]: not an object", i)
		}
		if err := allowedKeys(bm, fmt.Sprintf("state %q: Branches[%d]", st.name, i), "StartAt", "States", "Comment", "QueryLanguage"); err != nil {
			return err
		}
		bd, err := sp.p.parseMachine(bm, sp.ql, fmt.Sprintf("%s/Branches[%d]", st.name, i))
		if err != nil {
			return err
		}
		st.branches = append(st.branches, bd)
	}
	return nil
}

// isExpr reports whether s is a whole-string {% %} expression.
func isExpr(s string) bool { _, ok := isExprString(s); return ok }

var varName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func (p *parser) parseAssign(m map[string]any, fail func(string, ...any) error) (*tmpl, error) {
	v, ok := m["Assign"]
	if !ok {
		return nil, nil
	}
	am, ok := v.(map[string]any)
	if !ok {
		return nil, fail("Assign must be an object")
	}
	for k := range am {
		if !varName.MatchString(k) || k == "states" {
			return nil, fail("Assign: invalid variable name %q", k)
		}
	}
	t, err := compile(am)
	if err != nil {
		return nil, fail("Assign: %v", err)
	}
	return t, nil
}

func (p *parser) positiveIntField(m map[string]any, field string, fail func(string, ...any) error) (*tmpl, error) {
	v, ok := m[field]
	if !ok {
		return nil, nil
	}
	if s, isStr := v.(string); isStr {
		if !isExpr(s) {
			return nil, fail("%s must be a positive integer or a JSONata expression", field)
		}
		return compile(v)
	}
	n, ok := intValue(v)
	if !ok || n < 0 || (n == 0 && field != "Seconds") {
		return nil, fail("%s must be a positive integer, got %v", field, v)
	}
	return compile(v)
}

func (p *parser) parseResource(res string) (*resource, error) {
	if m := sdkResource.FindStringSubmatch(res); m != nil {
		return &resource{kind: resSDK, arn: res, service: m[1], action: m[2]}, nil
	}
	if m := sfnResource.FindStringSubmatch(res); m != nil {
		r := &resource{kind: resStartExecution, arn: res}
		switch {
		case m[2] != "":
			r.kind = resStartExecutionSync2
		case m[1] != "":
			r.kind = resStartExecutionSync
		}
		if r.kind != resStartExecution && p.typ == TypeExpress {
			return nil, fmt.Errorf("resource %s: the .sync integration pattern is not supported in EXPRESS workflows", res)
		}
		return r, nil
	}
	if res == "" {
		return nil, fmt.Errorf("field Resource is required")
	}
	return nil, fmt.Errorf("unsupported Resource %q (supported: arn:aws:states:::aws-sdk:<service>:<action>, arn:aws:states:::states:startExecution[.sync[:2]])", res)
}

func (sp *stateParser) parseMap() error {
	p, st, m, fail := sp.p, sp.st, sp.m, sp.fail
	if err := sp.parseItemProcessor(); err != nil {
		return err
	}
	if !st.distributed {
		// ToleratedFailure* are accepted: AWS runs an inline Map that sets
		// them, literal or from the input (executions recorded in LocalStack's
		// test_base_evaluate_expressions::test_base_map[TOLERATED_FAILURE_*]).
		for _, f := range []string{"ItemReader", "ItemBatcher", "ResultWriter", "Label"} {
			if _, ok := m[f]; ok {
				return fail("%s is only supported by a DISTRIBUTED Map (ProcessorConfig.Mode)", f)
			}
		}
	}
	if _, ok := m["ResultWriter"]; ok {
		return fail("ResultWriter is not supported by this executor")
	}
	var err error
	if st.items, err = sp.comp("Items"); err != nil {
		return err
	}
	if st.items != nil && st.items.kind == tmplLit {
		if _, isArr := st.items.lit.([]any); !isArr {
			return fail("Items must be a JSON array or a JSONata expression, got %s", jsonString(st.items.lit))
		}
	}
	if st.itemSelector, err = sp.comp("ItemSelector"); err != nil {
		return err
	}
	if st.maxConcurrency, err = p.nonNegIntField(m, "MaxConcurrency", fail); err != nil {
		return err
	}
	if st.tolCount, err = p.nonNegIntField(m, "ToleratedFailureCount", fail); err != nil {
		return err
	}
	if v, ok := m["ToleratedFailurePercentage"]; ok {
		if s, isStr := v.(string); isStr {
			if !isExpr(s) {
				return fail("ToleratedFailurePercentage must be a number or a JSONata expression")
			}
		} else if f, ok := v.(float64); !ok || f < 0 || f > 100 {
			return fail("ToleratedFailurePercentage must be between 0 and 100, got %v", v)
		}
		if st.tolPct, err = compile(v); err != nil {
			return fail("ToleratedFailurePercentage: %v", err)
		}
	}
	if v, ok := m["Label"]; ok {
		s, ok := v.(string)
		if !ok || len(s) > 40 || strings.ContainsAny(s, " <>{}[]?*\"#%\\^|~`$&,;:/") {
			return fail("Label must be a string of at most 40 characters without spaces or special characters")
		}
		st.label = s
	}
	if err := sp.parseItemReader(); err != nil {
		return err
	}
	return sp.parseItemBatcher()
}

// parseItemProcessor reads ItemProcessor: the mode, the children's
// execution type and the states.
func (sp *stateParser) parseItemProcessor() error {
	p, st, fail := sp.p, sp.st, sp.fail
	proc, ok := sp.m["ItemProcessor"].(map[string]any)
	if !ok {
		return fail("ItemProcessor is required")
	}
	if err := allowedKeys(proc, fmt.Sprintf("state %q: ItemProcessor", st.name), "StartAt", "States", "ProcessorConfig", "Comment", "QueryLanguage"); err != nil {
		return err
	}
	mode := "INLINE"
	if pc, ok := proc["ProcessorConfig"]; ok {
		pcm, ok := pc.(map[string]any)
		if !ok {
			return fail("ItemProcessor.ProcessorConfig must be an object")
		}
		if err := allowedKeys(pcm, fmt.Sprintf("state %q: ProcessorConfig", st.name), "Mode", "ExecutionType"); err != nil {
			return err
		}
		if v, ok := pcm["Mode"]; ok {
			mode, _ = v.(string)
		}
		if mode != "INLINE" && mode != "DISTRIBUTED" {
			return fail("ProcessorConfig.Mode must be INLINE or DISTRIBUTED, got %v", pcm["Mode"])
		}
		if mode == "DISTRIBUTED" {
			st.execType, _ = pcm["ExecutionType"].(string)
			if st.execType != TypeStandard && st.execType != TypeExpress {
				return fail("ProcessorConfig.ExecutionType must be STANDARD or EXPRESS for a DISTRIBUTED Map")
			}
		} else if _, has := pcm["ExecutionType"]; has {
			return fail("ProcessorConfig.ExecutionType is only allowed in DISTRIBUTED mode")
		}
	}
	st.distributed = mode == "DISTRIBUTED"
	saved := p.typ
	if st.distributed {
		// The child executions are separate state machines: their .sync
		// tasks are validated against the children's type.
		p.typ = st.execType
	}
	var err error
	st.processor, err = p.parseMachine(proc, sp.ql, st.name+"/ItemProcessor")
	p.typ = saved
	return err
}

// parseItemReader reads ItemReader (s3:listObjectsV2 only).
func (sp *stateParser) parseItemReader() error {
	p, st, m, fail := sp.p, sp.st, sp.m, sp.fail
	r, ok := m["ItemReader"]
	if !ok {
		return nil
	}
	if _, has := m["Items"]; has {
		return fail("Items and ItemReader are mutually exclusive")
	}
	rm, ok := r.(map[string]any)
	if !ok {
		return fail("ItemReader must be an object")
	}
	if err := allowedKeys(rm, fmt.Sprintf("state %q: ItemReader", st.name), "Resource", "Arguments", "ReaderConfig"); err != nil {
		return err
	}
	res, _ := rm["Resource"].(string)
	if !listV2Resource.MatchString(res) {
		return fail("ItemReader.Resource %q is not supported (only arn:aws:states:::s3:listObjectsV2)", res)
	}
	st.reader = &itemReader{}
	a, ok := rm["Arguments"]
	if !ok {
		return fail("ItemReader.Arguments {Bucket, Prefix} is required")
	}
	var err error
	if st.reader.args, err = compile(a); err != nil {
		return fail("ItemReader.Arguments: %v", err)
	}
	if rc, ok := rm["ReaderConfig"]; ok {
		rcm, ok := rc.(map[string]any)
		if !ok {
			return fail("ItemReader.ReaderConfig must be an object")
		}
		if err := allowedKeys(rcm, fmt.Sprintf("state %q: ItemReader.ReaderConfig", st.name), "MaxItems"); err != nil {
			return err
		}
		if st.reader.maxItems, err = p.nonNegIntField(rcm, "MaxItems", fail); err != nil {
			return err
		}
	}
	return nil
}

// parseItemBatcher reads ItemBatcher.
func (sp *stateParser) parseItemBatcher() error {
	p, st, fail := sp.p, sp.st, sp.fail
	b, ok := sp.m["ItemBatcher"]
	if !ok {
		return nil
	}
	bm, ok := b.(map[string]any)
	if !ok {
		return fail("ItemBatcher must be an object")
	}
	if err := allowedKeys(bm, fmt.Sprintf("state %q: ItemBatcher", st.name), "MaxItemsPerBatch", "MaxInputBytesPerBatch", "BatchInput"); err != nil {
		return err
	}
	st.batcher = &itemBatcher{}
	var err error
	if st.batcher.maxItems, err = p.positiveIntField(bm, "MaxItemsPerBatch", fail); err != nil {
		return err
	}
	if st.batcher.maxBytes, err = p.positiveIntField(bm, "MaxInputBytesPerBatch", fail); err != nil {
		return err
	}
	if st.batcher.maxItems == nil && st.batcher.maxBytes == nil {
		return fail("ItemBatcher needs MaxItemsPerBatch or MaxInputBytesPerBatch")
	}
	if v, ok := bm["BatchInput"]; ok {
		if st.batcher.batchInput, err = compile(v); err != nil {
			return fail("ItemBatcher.BatchInput: %v", err)
		}
	}
	return nil
}

func (p *parser) nonNegIntField(m map[string]any, field string, fail func(string, ...any) error) (*tmpl, error) {
	v, ok := m[field]
	if !ok {
		return nil, nil
	}
	if s, isStr := v.(string); isStr {
		if !isExpr(s) {
			return nil, fail("%s must be a non-negative integer or a JSONata expression", field)
		}
		return compile(v)
	}
	n, ok := intValue(v)
	if !ok || n < 0 {
		return nil, fail("%s must be a non-negative integer, got %v", field, v)
	}
	return compile(v)
}

func parseRetry(v any, fail func(string, ...any) error) ([]*retrier, error) {
	if v == nil {
		return nil, nil
	}
	arr, ok := v.([]any)
	if !ok {
		return nil, fail("Retry must be an array")
	}
	var out []*retrier
	for i, r := range arr {
		rm, ok := r.(map[string]any)
		if !ok {
			return nil, fail("Retry[%d]: not an object", i)
		}
		for k := range rm {
			if !contains([]string{"ErrorEquals", "IntervalSeconds", "MaxAttempts", "BackoffRate", "MaxDelaySeconds", "JitterStrategy", "Comment"}, k) {
				return nil, fail("Retry[%d]: field %s is not allowed", i, k)
			}
		}
		eq, err := errorEquals(rm["ErrorEquals"], i == len(arr)-1)
		if err != nil {
			return nil, fail("Retry[%d]: %v", i, err)
		}
		rt := &retrier{errorEquals: eq, interval: 1, maxAttempts: 3, backoff: 2.0}
		if x, ok := rm["IntervalSeconds"]; ok {
			n, ok := intValue(x)
			if !ok || n < 1 {
				return nil, fail("Retry[%d]: IntervalSeconds must be a positive integer", i)
			}
			rt.interval = float64(n)
		}
		if x, ok := rm["MaxAttempts"]; ok {
			n, ok := intValue(x)
			if !ok || n < 0 {
				return nil, fail("Retry[%d]: MaxAttempts must be a non-negative integer", i)
			}
			rt.maxAttempts = n
		}
		if x, ok := rm["BackoffRate"]; ok {
			f, ok := x.(float64)
			if !ok || f < 1 {
				return nil, fail("Retry[%d]: BackoffRate must be a number >= 1.0", i)
			}
			rt.backoff = f
		}
		if x, ok := rm["MaxDelaySeconds"]; ok {
			n, ok := intValue(x)
			if !ok || n < 1 {
				return nil, fail("Retry[%d]: MaxDelaySeconds must be a positive integer", i)
			}
			rt.maxDelay = float64(n)
		}
		if x, ok := rm["JitterStrategy"]; ok {
			s, _ := x.(string)
			if s != "FULL" && s != "NONE" {
				return nil, fail("Retry[%d]: JitterStrategy must be FULL or NONE", i)
			}
			rt.jitter = s == "FULL"
		}
		out = append(out, rt)
	}
	return out, nil
}

func (p *parser) parseCatch(v any, fail func(string, ...any) error) ([]*catcher, error) {
	if v == nil {
		return nil, nil
	}
	arr, ok := v.([]any)
	if !ok {
		return nil, fail("Catch must be an array")
	}
	var out []*catcher
	for i, c := range arr {
		cm, ok := c.(map[string]any)
		if !ok {
			return nil, fail("Catch[%d]: not an object", i)
		}
		for k := range cm {
			if !contains([]string{"ErrorEquals", "Next", "Output", "Assign", "Comment"}, k) {
				return nil, fail("Catch[%d]: field %s is not allowed in a JSONata Catcher", i, k)
			}
		}
		eq, err := errorEquals(cm["ErrorEquals"], i == len(arr)-1)
		if err != nil {
			return nil, fail("Catch[%d]: %v", i, err)
		}
		ct := &catcher{errorEquals: eq}
		ct.next, _ = cm["Next"].(string)
		if ct.next == "" {
			return nil, fail("Catch[%d]: Next is required", i)
		}
		if o, ok := cm["Output"]; ok {
			if ct.output, err = compile(o); err != nil {
				return nil, fail("Catch[%d].Output: %v", i, err)
			}
		}
		if ct.assign, err = p.parseAssign(cm, func(f string, a ...any) error {
			return fail("Catch[%d]: %s", i, fmt.Sprintf(f, a...))
		}); err != nil {
			return nil, err
		}
		out = append(out, ct)
	}
	return out, nil
}

func errorEquals(v any, last bool) ([]string, error) {
	arr, ok := v.([]any)
	if !ok || len(arr) == 0 {
		return nil, fmt.Errorf("ErrorEquals must be a non-empty array of error names")
	}
	var out []string
	for _, e := range arr {
		s, ok := e.(string)
		if !ok || s == "" {
			return nil, fmt.Errorf("ErrorEquals must hold strings")
		}
		out = append(out, s)
	}
	if contains(out, ErrALL) {
		if len(out) != 1 {
			return nil, fmt.Errorf("States.ALL must appear alone in ErrorEquals")
		}
		if !last {
			return nil, fmt.Errorf("a States.ALL Retrier or Catcher must be the last one")
		}
	}
	return out, nil
}

func allowedKeys(m map[string]any, where string, keys ...string) error {
	for k := range m {
		if !contains(keys, k) {
			return fmt.Errorf("asl: %s: field %s is not allowed", where, k)
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// intValue converts a JSON number holding an integer.
func intValue(v any) (int, bool) {
	f, ok := v.(float64)
	if !ok || f != math.Trunc(f) || math.IsInf(f, 0) || f > math.MaxInt32*1024 || f < -math.MaxInt32*1024 {
		return 0, false
	}
	return int(f), true
}
