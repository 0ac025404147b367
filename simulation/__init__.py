"""The simulated world behind the robot's topics: scenarios, a fast clock, residents who speak, a phone line."""
