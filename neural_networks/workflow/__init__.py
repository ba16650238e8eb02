"""The run-folder workflow: everything between a config file and a finished run folder, and after.

- ``build``: config -> data, model, optimizer (a named ``Built``).
- ``experiment``: train into a run folder (``run``, ``resume``), composing the trainer's callbacks.
- ``run_callbacks``: the callbacks that write a run folder while it trains (checkpoint, metrics.csv).
- ``outputs``: what a finished run writes (parameters, predictions, test metrics, plots).
- ``files``: atomic writes and run-folder creation; ``checkpoint``: the resumable state.
- ``loading``: reading a run folder back (config, model with its parameters).
- ``results``, ``compare``, ``report``, ``sweep``: many runs at once.
- ``plots``, ``diagram``, ``images``, ``model_table``, ``predict``, ``components``: what a person sees;
  ``boundary`` (decision boundaries, and ``BoundaryFrames``, the callback that keeps the GIF's frames)
  and ``weight_images`` (a first layer's weights as images).
"""
