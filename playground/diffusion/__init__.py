"""Diffusion: add noise step by step (the forward process), then learn to remove it
(the reverse process).

Modules, in reading order:

* ``schedule``   the noise schedule and the forward process x_t = sqrt(a_t) x0 + sqrt(1-a_t) eps,
                 written by hand and checked against diffusers' ``DDPMScheduler.add_noise``;
                 the four diffusers samplers the page offers.
* ``images``     turning the sklearn digits or an uploaded picture into a 16x16 model input.
* ``digits``     the class-conditional UNet (diffusers ``UNet2DModel``) and sampling with
                 classifier-free guidance, recording every step of the trajectory.
* ``train_digits`` the script that trained the shipped weights in ``playground/assets/diffusion``.
* ``evaluate``   a classifier trained on the real digits, to check what the samples look like.
* ``points2d``   the same idea on 2D points (a small MLP denoiser trained live).
* ``text2image`` a real Stable Diffusion pipeline, when one is configured.
* ``charts``     plotly figures for the page.
"""
