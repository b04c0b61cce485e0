"""Two fronts on one PostgreSQL and one shared data folder."""
