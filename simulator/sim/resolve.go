package sim

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
)

// Local stand-ins for the pseudo parameters of the simulated account.
const (
	Account   = "111122223333"
	Region    = "ap-northeast-1"
	Partition = "aws"
)

// world gives every resource of a synthesized template the physical name
// and ARN CloudFormation would give it, deterministically, so the state
// machine definitions can be resolved to plain JSON.
type world struct {
	stack     string
	resources map[string]map[string]any
}

var nonName = regexp.MustCompile(`[^a-z0-9-]+`)

// physicalName is the name the template gives the resource (a literal
// BucketName, Name, RoleName...), else "<stack>-<logical id>" in the form
// the resource type allows, as CloudFormation generates one.
func (w world) physicalName(logicalID string) string {
	if props, ok := w.resources[logicalID]["Properties"].(map[string]any); ok {
		for _, k := range []string{"BucketName"} {
			if given, ok := props[k].(string); ok {
				return given
			}
		}
	}
	name := strings.ToLower(w.stack + "-" + logicalID)
	name = nonName.ReplaceAllString(name, "-")
	if len(name) > 63 {
		name = name[:63]
	}
	return strings.Trim(name, "-")
}

func (w world) typeOf(logicalID string) string {
	r, ok := w.resources[logicalID]
	if !ok {
		return ""
	}
	t, _ := r["Type"].(string)
	return t
}

func keyID(logicalID string) string {
	h := sha256.Sum256([]byte(logicalID))
	x := hex.EncodeToString(h[:16])
	return x[0:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:32]
}

// ref is what {"Ref": id} resolves to.
func (w world) ref(id string) (string, error) {
	switch id {
	case "AWS::AccountId":
		return Account, nil
	case "AWS::Region":
		return Region, nil
	case "AWS::Partition":
		return Partition, nil
	case "AWS::URLSuffix":
		return "amazonaws.com", nil
	case "AWS::StackName":
		return w.stack, nil
	}
	switch w.typeOf(id) {
	case "":
		return "", fmt.Errorf("reference to unknown resource %q", id)
	case "AWS::KMS::Key":
		return keyID(id), nil
	case "AWS::StepFunctions::StateMachine":
		return w.stateMachineArn(id), nil
	case "AWS::SQS::Queue":
		return fmt.Sprintf("https://sqs.%s.amazonaws.com/%s/%s", Region, Account, w.physicalName(id)), nil
	default:
		return w.physicalName(id), nil
	}
}

func (w world) stateMachineArn(id string) string {
	return fmt.Sprintf("arn:aws:states:%s:%s:stateMachine:%s", Region, Account, w.physicalName(id))
}

// getAtt is what {"Fn::GetAtt": [id, attr]} resolves to.
func (w world) getAtt(id, attr string) (string, error) {
	name := w.physicalName(id)
	switch w.typeOf(id) + "." + attr {
	case "AWS::S3::Bucket.Arn":
		return "arn:aws:s3:::" + name, nil
	case "AWS::KMS::Key.Arn":
		return fmt.Sprintf("arn:aws:kms:%s:%s:key/%s", Region, Account, keyID(id)), nil
	case "AWS::IAM::Role.Arn":
		return fmt.Sprintf("arn:aws:iam::%s:role/%s", Account, name), nil
	case "AWS::StepFunctions::StateMachine.Arn":
		return w.stateMachineArn(id), nil
	case "AWS::StepFunctions::StateMachine.Name":
		return name, nil
	case "AWS::Logs::LogGroup.Arn":
		return fmt.Sprintf("arn:aws:logs:%s:%s:log-group:%s:*", Region, Account, name), nil
	case "AWS::SQS::Queue.Arn":
		return fmt.Sprintf("arn:aws:sqs:%s:%s:%s", Region, Account, name), nil
	case "AWS::RDS::DBCluster.DBClusterArn":
		return fmt.Sprintf("arn:aws:rds:%s:%s:cluster:%s", Region, Account, name), nil
	}
	return "", fmt.Errorf("no local value for Fn::GetAtt %s.%s (%s)", id, attr, w.typeOf(id))
}

// resolve replaces the intrinsic functions in v with local values.
func (w world) resolve(v any) (any, error) {
	switch v := v.(type) {
	case map[string]any:
		if len(v) == 1 {
			for k, arg := range v {
				if strings.HasPrefix(k, "Fn::") || k == "Ref" {
					return w.intrinsic(k, arg)
				}
			}
		}
		out := make(map[string]any, len(v))
		for k, e := range v {
			r, err := w.resolve(e)
			if err != nil {
				return nil, err
			}
			out[k] = r
		}
		return out, nil
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			r, err := w.resolve(e)
			if err != nil {
				return nil, err
			}
			out[i] = r
		}
		return out, nil
	default:
		return v, nil
	}
}

func (w world) intrinsic(fn string, arg any) (any, error) {
	switch fn {
	case "Ref":
		return w.ref(fmt.Sprint(arg))
	case "Fn::GetAtt":
		parts, ok := arg.([]any)
		if !ok || len(parts) != 2 {
			return nil, fmt.Errorf("malformed Fn::GetAtt %v", arg)
		}
		return w.getAtt(fmt.Sprint(parts[0]), fmt.Sprint(parts[1]))
	case "Fn::Join":
		parts, ok := arg.([]any)
		if !ok || len(parts) != 2 {
			return nil, fmt.Errorf("malformed Fn::Join %v", arg)
		}
		list, err := w.resolve(parts[1])
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
		parts, ok := arg.([]any)
		if !ok || len(parts) != 2 {
			return nil, fmt.Errorf("malformed Fn::Split %v", arg)
		}
		s, err := w.resolve(parts[1])
		if err != nil {
			return nil, err
		}
		var out []any
		for _, p := range strings.Split(fmt.Sprint(s), fmt.Sprint(parts[0])) {
			out = append(out, p)
		}
		return out, nil
	case "Fn::Select":
		parts, ok := arg.([]any)
		if !ok || len(parts) != 2 {
			return nil, fmt.Errorf("malformed Fn::Select %v", arg)
		}
		list, err := w.resolve(parts[1])
		if err != nil {
			return nil, err
		}
		items, _ := list.([]any)
		i, _ := parts[0].(float64)
		if int(i) < 0 || int(i) >= len(items) {
			return nil, fmt.Errorf("Fn::Select index %v out of range", parts[0])
		}
		return items[int(i)], nil
	}
	return nil, fmt.Errorf("no local value for %s", fn)
}
