package asl

// One parse function per state type, and those of the Map state's parts.

import (
	"fmt"
	"slices"
	"strings"
)

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
		if !slices.Contains([]string{"Type", "Comment", "QueryLanguage"}, k) && !slices.Contains(spec.fields, k) {
			return nil, sp.fail("field %s is not allowed in a %s state", k, typ)
		}
	}
	if slices.Contains(spec.fields, "Next") {
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

// parseItemReader reads ItemReader (s3:listObjectsV2, or s3:getObject of a
// JSON file).
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
	st.reader = &itemReader{}
	switch {
	case listV2Resource.MatchString(res):
	case getObjectResource.MatchString(res):
		st.reader.json = true
	default:
		return fail("ItemReader.Resource %q is not supported (only arn:aws:states:::s3:listObjectsV2 and arn:aws:states:::s3:getObject)", res)
	}
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
		if err := allowedKeys(rcm, fmt.Sprintf("state %q: ItemReader.ReaderConfig", st.name), "MaxItems", "InputType", "ItemsPointer"); err != nil {
			return err
		}
		if err := st.reader.parseJSONConfig(rcm); err != nil {
			return fail("%v", err)
		}
		if st.reader.maxItems, err = p.nonNegIntField(rcm, "MaxItems", fail); err != nil {
			return err
		}
	}
	if st.reader.json && !st.reader.jsonTyped {
		return fail("ItemReader.ReaderConfig.InputType is required with arn:aws:states:::s3:getObject (this executor reads JSON)")
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
