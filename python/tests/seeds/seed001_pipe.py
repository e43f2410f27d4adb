# coding=utf-8
import os
from multiprocessing import Pipe, Process

def sub_process(parentid, pipe):
    print('子进程运行 %s   父进程 %s' % (os.getpid(), parentid))
    out_pipe, in_pipe = pipe

    in_pipe.close()
    while True:
        try:
            msg = out_pipe.recv()
            print('out pipe : %s' % msg)
            # out_pipe.send(msg*10)
        except EOFError:
            break



if __name__ == '__main__':
    print('主进程运行 %s' % os.getpid())
    out_pipt, in_pipe = Pipe(True)
    subprocess = Process(target=sub_process, args=(os.getpid(), (out_pipt, in_pipe)))
    subprocess.start()

    # 关闭主进程的输出端
    out_pipt.close()
    for i in range(10):
        in_pipe.send(i)
        # print('in  pipe : %s' % in_pipe.recv())
    in_pipe.close()

    subprocess.join()
    print('主进程结束 %s' % os.getpid())
