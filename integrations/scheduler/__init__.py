"""Running digests on time: APScheduler 3.x on the elected leader only, leader election, triggers."""
