"""Self-play across machines on Ray (`pyzero train CONFIG --ray [ADDRESS]`).

The driver is the ordinary trainer (pyzero/training/trainer.py): it runs the learner, owns
the replay buffer and the checkpoints on its own disk. Its games come from self-play
actors instead of an in-process pipeline:

- `actor.SelfPlayActor`: a Ray actor that runs today's self-play pipeline with its own
  inference backend on its node; each call plays for `distributed.collect_seconds` and
  returns the finished games in one piece, tagged with the actor and the weights version.
- `fleet.ActorFleet`: the driver's side. It publishes each weights version once
  (`ray.put`) and hands the same reference to every actor, keeps a bounded number of calls
  in flight per actor (the backpressure), restarts failed actors through Ray, and has the
  face of `SelfPlay` that the trainer drives.
- `cluster`: connecting to a cluster (or starting a local one) with clear errors and
  timeouts, and checking that it has the resources the actors ask for.
- `driver.DistributedTrainer`: the trainer with the fleet as its source of games.
"""
