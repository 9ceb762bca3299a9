"""What happened to a claim, who did it, on which business date, recorded when?"""
