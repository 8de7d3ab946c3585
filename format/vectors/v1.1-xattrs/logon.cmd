@echo off
net use H: \\fs01\home
