// Package cfn resolves the CloudFormation intrinsic functions of a
// synthesized template (Ref, Fn::GetAtt, Fn::Join, Fn::Split, Fn::Select and
// the pseudo parameters) to plain JSON values, once for the whole project:
// the local run resolves them to the names and ARNs CloudFormation would
// give (World), tests to readable stand-ins (Placeholders).
package cfn

import (
	"fmt"
	"strings"
)

// Stand-ins for the pseudo parameters of the simulated account.
const (
	Account   = "111122223333"
	Region    = "ap-northeast-1"
	Partition = "aws"
	URLSuffix = "amazonaws.com"
)

// Values gives what a Ref of, or a Fn::GetAtt on, a resource resolves to.
type Values interface {
	Ref(logicalID string) (string, error)
	GetAtt(logicalID, attribute string) (string, error)
}

// Resolve replaces the intrinsics in v with values; stack names
// AWS::StackName. lenient keeps going where a value cannot be computed (a
// Fn::Select into a list that is not literal), writing a readable stand-in.
func Resolve(v any, values Values, stack string, lenient bool) (any, error) {
	r := resolver{values: values, stack: stack, lenient: lenient}
	return r.resolve(v)
}

type resolver struct {
	values  Values
	stack   string
	lenient bool
}

func (r resolver) resolve(v any) (any, error) {
	switch v := v.(type) {
	case map[string]any:
		if len(v) == 1 {
			for k, arg := range v {
				if strings.HasPrefix(k, "Fn::") || k == "Ref" {
					return r.intrinsic(k, arg)
				}
			}
		}
		out := make(map[string]any, len(v))
		for k, e := range v {
			x, err := r.resolve(e)
			if err != nil {
				return nil, err
			}
			out[k] = x
		}
		return out, nil
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			x, err := r.resolve(e)
			if err != nil {
				return nil, err
			}
			out[i] = x
		}
		return out, nil
	default:
		return v, nil
	}
}

func (r resolver) ref(name string) (string, error) {
	switch name {
	case "AWS::AccountId":
		return Account, nil
	case "AWS::Region":
		return Region, nil
	case "AWS::Partition":
		return Partition, nil
	case "AWS::URLSuffix":
		return URLSuffix, nil
	case "AWS::StackName":
		if r.stack != "" {
			return r.stack, nil
		}
	}
	return r.values.Ref(name)
}

func pair(fn string, arg any) ([]any, error) {
	parts, ok := arg.([]any)
	if !ok || len(parts) != 2 {
		return nil, fmt.Errorf("malformed %s %v", fn, arg)
	}
	return parts, nil
}

func (r resolver) intrinsic(fn string, arg any) (any, error) {
	if fn == "Ref" {
		return r.ref(fmt.Sprint(arg))
	}
	parts, err := pair(fn, arg)
	if err != nil {
		return nil, err
	}
	switch fn {
	case "Fn::GetAtt":
		return r.values.GetAtt(fmt.Sprint(parts[0]), fmt.Sprint(parts[1]))
	case "Fn::Join":
		list, err := r.resolve(parts[1])
		if err != nil {
			return nil, err
		}
		items, _ := list.([]any)
		strs := make([]string, len(items))
		for i, it := range items {
			strs[i] = fmt.Sprint(it)
		}
		return strings.Join(strs, fmt.Sprint(parts[0])), nil
	case "Fn::Split":
		s, err := r.resolve(parts[1])
		if err != nil {
			return nil, err
		}
		var out []any
		for _, p := range strings.Split(fmt.Sprint(s), fmt.Sprint(parts[0])) {
			out = append(out, p)
		}
		return out, nil
	case "Fn::Select":
		list, err := r.resolve(parts[1])
		if err != nil {
			return nil, err
		}
		items, isList := list.([]any)
		i, _ := parts[0].(float64)
		if !isList || int(i) < 0 || int(i) >= len(items) {
			if r.lenient {
				return fmt.Sprintf("${Select[%d] of %v}", int(i), list), nil
			}
			return nil, fmt.Errorf("Fn::Select index %v out of range of %v", parts[0], list)
		}
		return items[int(i)], nil
	}
	return nil, fmt.Errorf("no local value for %s", fn)
}

// Placeholders resolves a Ref of a resource to "${X}" and a Fn::GetAtt to
// "${X.Attr}": readable in test expectations.
type Placeholders struct{}

// Ref returns "${logicalID}".
func (Placeholders) Ref(logicalID string) (string, error) { return "${" + logicalID + "}", nil }

// GetAtt returns "${logicalID.attribute}".
func (Placeholders) GetAtt(logicalID, attribute string) (string, error) {
	return "${" + logicalID + "." + attribute + "}", nil
}
