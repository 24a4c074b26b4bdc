"""The co-design loop: proposals, comments, votes, working groups and decisions."""
