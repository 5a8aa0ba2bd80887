// Package cdktest helps the project's tests (and the simulator) read
// synthesized templates: jsii assertion failures turned into test failures,
// CloudFormation intrinsics resolved to readable stand-ins, and state
// machine definitions parsed into maps.
package cdktest

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/snapshotlake/snapshotlake/internal/cdkjson"
	"github.com/snapshotlake/snapshotlake/internal/cfn"
)

// Stand-ins for pseudo parameters in resolved values (internal/cfn's).
const (
	Account   = cfn.Account
	Region    = cfn.Region
	Partition = cfn.Partition
)

// Check runs a jsii assertion, turning its panic into a test failure that
// does not end the whole test binary.
func Check(t testing.TB, assertion func()) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("%v", r)
		}
	}()
	assertion()
}

// NewStack returns a stack in a fresh app with cdk.json's feature flags, with
// a fixed environment so ARNs resolve to readable values.
func NewStack(id string) awscdk.Stack {
	ctx, err := cdkjson.FeatureFlags()
	if err != nil {
		panic(err)
	}
	ctx["aws:cdk:enable-path-metadata"] = true
	app := awscdk.NewApp(&awscdk.AppProps{AnalyticsReporting: jsii.Bool(false), Context: &ctx})
	return awscdk.NewStack(app, jsii.String(id), &awscdk.StackProps{
		Env: &awscdk.Environment{Account: jsii.String(Account), Region: jsii.String(Region)},
	})
}

// Template is a synthesized template as plain JSON values.
type Template struct {
	T         assertions.Template
	Resources map[string]map[string]any
}

// FromStack synthesizes stack.
func FromStack(stack awscdk.Stack) Template {
	tpl := assertions.Template_FromStack(stack, nil)
	raw := *tpl.ToJSON()
	b, err := json.Marshal(raw)
	if err != nil {
		panic(err)
	}
	var doc struct {
		Resources map[string]map[string]any
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		panic(err)
	}
	return Template{T: tpl, Resources: doc.Resources}
}

// OfType returns the logical ids of resources of a type, sorted.
func (t Template) OfType(typ string) []string {
	var ids []string
	for id, r := range t.Resources {
		if r["Type"] == typ {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids
}

// Props returns a resource's resolved properties.
func (t Template) Props(logicalID string) map[string]any {
	p, _ := Resolve(t.Resources[logicalID]["Properties"]).(map[string]any)
	return p
}

// Resolve replaces CloudFormation intrinsics with readable stand-ins:
// {"Ref": "X"} → "${X}", {"Fn::GetAtt": ["X", "Arn"]} → "${X.Arn}",
// pseudo parameters → the constants above, Fn::Join → the joined string
// (internal/cfn with its Placeholders).
func Resolve(v any) any {
	out, err := cfn.Resolve(v, cfn.Placeholders{}, "", true)
	if err != nil {
		panic("cdktest: " + err.Error()) // a malformed intrinsic in a synthesized template
	}
	return out
}

// Definition returns the resolved, parsed definition of a state machine.
func (t Template) Definition(logicalID string) (map[string]any, error) {
	s, ok := Resolve(t.Resources[logicalID]["Properties"].(map[string]any)["DefinitionString"]).(string)
	if !ok {
		return nil, fmt.Errorf("%s has no DefinitionString", logicalID)
	}
	var def map[string]any
	if err := json.Unmarshal([]byte(s), &def); err != nil {
		return nil, fmt.Errorf("definition of %s: %w", logicalID, err)
	}
	return def, nil
}

// StateMachineByPath returns the logical id of the state machine whose
// construct path ends with pathSuffix (e.g. "RdsExport/StateMachine").
func (t Template) StateMachineByPath(pathSuffix string) (string, error) {
	return t.ByPath("AWS::StepFunctions::StateMachine", pathSuffix)
}

// ByPath returns the logical id of the one resource of typ whose construct
// path (aws:cdk:path metadata) ends with pathSuffix + "/Resource" or pathSuffix.
func (t Template) ByPath(typ, pathSuffix string) (string, error) {
	var found []string
	for id, r := range t.Resources {
		if r["Type"] != typ {
			continue
		}
		md, _ := r["Metadata"].(map[string]any)
		p, _ := md["aws:cdk:path"].(string)
		if strings.HasSuffix(p, "/"+pathSuffix) || strings.HasSuffix(p, "/"+pathSuffix+"/Resource") {
			found = append(found, id)
		}
	}
	if len(found) != 1 {
		return "", fmt.Errorf("want one %s at path */%s, found %v", typ, pathSuffix, found)
	}
	return found[0], nil
}

// States returns every state of a definition by name, including the states
// of Map item processors and Parallel branches.
func States(def map[string]any) map[string]map[string]any {
	out := map[string]map[string]any{}
	var walk func(states map[string]any)
	walk = func(states map[string]any) {
		for name, s := range states {
			st := s.(map[string]any)
			out[name] = st
			if p, ok := st["ItemProcessor"].(map[string]any); ok {
				walk(p["States"].(map[string]any))
			}
			if bs, ok := st["Branches"].([]any); ok {
				for _, b := range bs {
					walk(b.(map[string]any)["States"].(map[string]any))
				}
			}
		}
	}
	walk(def["States"].(map[string]any))
	return out
}

// Statement is an IAM policy statement with intrinsics resolved and actions
// and resources as lists.
type Statement struct {
	Sid       string
	Effect    string
	Actions   []string
	Resources []string
	Principal any
	Condition any
}

// RoleStatements returns the statements of every AWS::IAM::Policy attached
// to the role with logical id roleID.
func (t Template) RoleStatements(roleID string) []Statement {
	var out []Statement
	for _, id := range t.OfType("AWS::IAM::Policy") {
		p := t.Resources[id]["Properties"].(map[string]any)
		attached := false
		for _, r := range p["Roles"].([]any) {
			if ref, ok := r.(map[string]any)["Ref"]; ok && ref == roleID {
				attached = true
			}
		}
		if attached {
			out = append(out, statements(p["PolicyDocument"])...)
		}
	}
	return out
}

// ResourcePolicyStatements returns the statements of a resource's policy
// property (KeyPolicy, PolicyDocument, AssumeRolePolicyDocument...).
func (t Template) ResourcePolicyStatements(logicalID, property string) []Statement {
	return statements(t.Resources[logicalID]["Properties"].(map[string]any)[property])
}

// ResourceStatements returns the statements of a policy document.
func ResourceStatements(doc any) []Statement { return statements(doc) }

func statements(doc any) []Statement {
	var out []Statement
	d := Resolve(doc).(map[string]any)
	for _, s := range d["Statement"].([]any) {
		st := s.(map[string]any)
		sid, _ := st["Sid"].(string)
		out = append(out, Statement{
			Sid:       sid,
			Effect:    fmt.Sprint(st["Effect"]),
			Actions:   strs(st["Action"]),
			Resources: strs(st["Resource"]),
			Principal: st["Principal"],
			Condition: st["Condition"],
		})
	}
	return out
}

func strs(v any) []string {
	switch v := v.(type) {
	case nil:
		return nil
	case string:
		return []string{v}
	case []any:
		out := make([]string, len(v))
		for i, e := range v {
			out[i] = fmt.Sprint(e)
		}
		sort.Strings(out)
		return out
	}
	return []string{fmt.Sprint(v)}
}

// ActionsOn returns, sorted and de-duplicated, the actions statements allow
// on resource.
func ActionsOn(sts []Statement, resource string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range sts {
		for _, r := range s.Resources {
			if r != resource {
				continue
			}
			for _, a := range s.Actions {
				if !seen[a] {
					seen[a] = true
					out = append(out, a)
				}
			}
		}
	}
	sort.Strings(out)
	return out
}

// AllActions returns every action the statements allow, sorted and
// de-duplicated.
func AllActions(sts []Statement) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range sts {
		for _, a := range s.Actions {
			if !seen[a] {
				seen[a] = true
				out = append(out, a)
			}
		}
	}
	sort.Strings(out)
	return out
}

// Ref and Arn render the stand-ins Resolve produces.
func Ref(logicalID string) string { return "${" + logicalID + "}" }

// Arn is the stand-in of {"Fn::GetAtt": [logicalID, "Arn"]}.
func Arn(logicalID string) string { return "${" + logicalID + ".Arn}" }

// Fixture returns a loader that builds a test fixture once per test binary
// (synthesis costs seconds) and hands every test the same value, failing the
// test if building it failed or a jsii call panicked.
func Fixture[T any](build func() (T, error)) func(testing.TB) T {
	var (
		once  sync.Once
		value T
		err   error
	)
	return func(t testing.TB) T {
		t.Helper()
		once.Do(func() {
			defer func() {
				if r := recover(); r != nil {
					err = fmt.Errorf("synthesis panicked: %v", r)
				}
			}()
			value, err = build()
		})
		if err != nil {
			t.Fatalf("building the fixture: %v", err)
		}
		return value
	}
}
