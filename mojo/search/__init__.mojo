"""Search over any `Game`: Gumbel MCTS with sequential halving, and its parts."""
