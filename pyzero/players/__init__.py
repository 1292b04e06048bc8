"""Players: the network engine (search + network, by simulations or by time) and the
baselines (random, plain MCTS with random rollouts, exact minimax for small games)."""
