SELECT flow, state, COUNT(*) AS migrations FROM migration GROUP BY flow, state
