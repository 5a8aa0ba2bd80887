package asl

import (
	"context"
	"time"

	"github.com/snapshotlake/snapshotlake/simulator/awserr"
)

// TimedIntegration is an Integration whose calls take simulated time. CallAt
// gets the simulated time of the call and returns how long the call took;
// the calling thread then waits that long on the simulated clock (its
// execution times out if that passes its deadline).
type TimedIntegration interface {
	Integration
	CallAt(ctx context.Context, now time.Time, service, action string, args map[string]any) (any, time.Duration, error)
}

// call makes an aws-sdk call (or the ItemReader's listObjectsV2) at th's
// simulated time.
func (th *thread) call(service, action string, args map[string]any) (any, *awserr.Error) {
	x := th.x
	var (
		res  any
		err  error
		took time.Duration
	)
	if ti, ok := x.ex.integ.(TimedIntegration); ok {
		res, took, err = ti.CallAt(x.ctx, th.now, service, action, args)
	} else {
		res, err = x.ex.integ.Call(x.ctx, service, action, args)
	}
	if took > 0 {
		if e := th.sleep(th.now.Add(took)); e != nil {
			return nil, e
		}
	}
	if err != nil {
		if x.ctx.Err() != nil {
			return nil, newErr("asl.Aborted", "execution aborted: "+err.Error())
		}
		return nil, awserr.As(err)
	}
	return res, nil
}
