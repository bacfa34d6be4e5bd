"""append"""
